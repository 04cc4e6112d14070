// What Claude cost, summed from the broker's ledger (claude_usage) for the dashboard, the sessions page and
// where a task is started: this month against the monthly budget, per day and per environment. Days and
// months are UTC, the same calendar the budget rule counts in (ledger.ts). Read-only; bound parameters.

import { getDb, type Db } from '../../db';
import { getConfig } from '../../env-config';
import { monthSpendUsd, monthStart } from './ledger';
import type { CostSummary } from '$lib/shared/types/costs';

const DAY_MS = 86_400_000;

export function costSummary({ now = Date.now(), days = 14, monthlyBudgetUsd }: { now?: number; days?: number; monthlyBudgetUsd?: number | null } = {}, db: Db = getDb()): CostSummary {
	const firstDay = Math.floor(now / DAY_MS) - (days - 1);
	const rows = db.prepare('SELECT at / ? AS d, COALESCE(SUM(cost_usd), 0) AS usd, COUNT(*) AS calls FROM claude_usage WHERE at >= ? GROUP BY d').all(DAY_MS, firstDay * DAY_MS) as Array<{
		d: number;
		usd: number;
		calls: number;
	}>;
	const perDay = new Map(rows.map((r) => [Math.floor(r.d), r]));
	const byDay = Array.from({ length: days }, (_, i) => {
		const d = firstDay + i;
		const r = perDay.get(d);
		return { day: new Date(d * DAY_MS).toISOString().slice(0, 10), usd: r?.usd ?? 0, calls: r?.calls ?? 0 };
	});
	const byEnvironment = (
		db
			.prepare(
				`SELECT t.environment_id AS environmentId, e.hostname AS hostname, SUM(u.cost_usd) AS usd, COUNT(DISTINCT u.task_id) AS tasks
				   FROM claude_usage u JOIN claude_tasks t ON t.id = u.task_id LEFT JOIN environments e ON e.id = t.environment_id
				  WHERE u.at >= ? GROUP BY t.environment_id ORDER BY usd DESC LIMIT 20`
			)
			.all(monthStart(now)) as CostSummary['byEnvironment']
	).map((r) => ({ ...r, hostname: r.hostname ?? null }));
	return { monthUsd: monthSpendUsd(now, db), monthlyBudgetUsd: monthlyBudgetUsd !== undefined ? monthlyBudgetUsd : (getConfig().claude.monthlyBudgetUsd ?? null), byDay, byEnvironment };
}
