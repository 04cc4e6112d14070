// What the broker measured, in the database: one claude_usage row per forwarded call (from upstream's own
// usage numbers), the sums per task and per calendar month (UTC) that budgets compare against, and the
// refusal a task was given. SQL only with bound parameters. Never stores what a CT reports.

import { getDb, type Db } from '../../db';
import type { TokenUsage } from './pricing';

export interface UsageTotals extends TokenUsage {
	costUsd: number;
	calls: number;
}

export function recordUsage(taskId: string, call: { model: string | null; status: number; usage: TokenUsage; costUsd: number; at?: number }, db: Db = getDb()): void {
	db.prepare(
		`INSERT INTO claude_usage (task_id, at, model, status, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	).run(taskId, call.at ?? Date.now(), call.model, call.status, call.usage.inputTokens, call.usage.outputTokens, call.usage.cacheCreationTokens, call.usage.cacheReadTokens, call.costUsd);
}

export function taskUsage(taskId: string, db: Db = getDb()): UsageTotals {
	const r = db
		.prepare(
			`SELECT COUNT(*) AS calls, COALESCE(SUM(input_tokens), 0) AS i, COALESCE(SUM(output_tokens), 0) AS o,
			        COALESCE(SUM(cache_creation_tokens), 0) AS cw, COALESCE(SUM(cache_read_tokens), 0) AS cr, COALESCE(SUM(cost_usd), 0) AS c
			   FROM claude_usage WHERE task_id = ?`
		)
		.get(taskId) as { calls: number; i: number; o: number; cw: number; cr: number; c: number };
	return { calls: r.calls, inputTokens: r.i, outputTokens: r.o, cacheCreationTokens: r.cw, cacheReadTokens: r.cr, costUsd: r.c };
}

/** The first millisecond of `now`'s calendar month, UTC. */
export function monthStart(now: number): number {
	const d = new Date(now);
	return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export function monthSpendUsd(now: number, db: Db = getDb()): number {
	return (db.prepare('SELECT COALESCE(SUM(cost_usd), 0) AS c FROM claude_usage WHERE at >= ?').get(monthStart(now)) as { c: number }).c;
}

/** Note why a task's calls were refused (shown on its page); the first reason is kept. */
export function markRefused(taskId: string, reason: string, db: Db = getDb()): boolean {
	return db.prepare('UPDATE claude_tasks SET refused = ? WHERE id = ? AND refused IS NULL').run(reason, taskId).changes > 0;
}
