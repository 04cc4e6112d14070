import * as bridge from '$lib/server/claude/tasks/bridge';
import * as environments from '$lib/server/environments';
import { TASK_STATUSES, type TaskStatus } from '$lib/types/claude';
import type { PageServerLoad } from './$types';

const PAGE_SIZE = 25;
const day = (v: string | null) => (v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : undefined);

export const load: PageServerLoad = async ({ url }) => {
	const q = url.searchParams;
	const status = TASK_STATUSES.includes(q.get('status') as TaskStatus) ? (q.get('status') as TaskStatus) : undefined;
	const environment = q.get('environment') || undefined;
	const from = q.get('from') ?? '';
	const to = q.get('to') ?? '';
	const page = Math.max(1, Math.min(10_000, Number(q.get('page')) || 1));
	const toMs = day(to);
	const { tasks, total } = bridge.listTasks({ status, environmentId: environment, from: day(from), to: toMs === undefined ? undefined : toMs + 86_400_000 }, page, PAGE_SIZE);
	return {
		tasks,
		total,
		page,
		pageSize: PAGE_SIZE,
		filter: { status: status ?? '', environment: environment ?? '', from, to },
		environments: environments.listEnvironments().map((e) => ({ id: e.id, hostname: e.hostname }))
	};
};
