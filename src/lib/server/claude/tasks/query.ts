// The task list's query string (?status=&environment=&from=YYYY-MM-DD&to=YYYY-MM-DD&page=N), read once for
// the JSON route and the Sessions page. Days are UTC; `to` includes its whole day. A malformed day is
// ignored (the form only sends valid ones); an unknown status is refused, so a typo is not an empty list.

import { SpyreError } from '../../errors';
import { TASK_STATUSES, type TaskStatus } from '$lib/shared/types/claude';
import type { TaskFilter } from './repo';

export const TASK_PAGE_SIZE = 25;
const DAY_MS = 86_400_000;
const MAX_PAGE = 10_000;

export interface TaskQuery {
	filter: TaskFilter;
	page: number;
	/** What the form shows back: the raw values, '' when absent. */
	form: { status: string; environment: string; from: string; to: string };
}

const dayStart = (v: string) => (/^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : NaN);

export function parseTaskQuery(q: URLSearchParams): TaskQuery {
	const status = q.get('status') ?? '';
	if (status && !TASK_STATUSES.includes(status as TaskStatus)) throw new SpyreError('bad_request', `Unknown task status "${status.slice(0, 40)}".`);
	const environment = q.get('environment') ?? '';
	const from = q.get('from') ?? '';
	const to = q.get('to') ?? '';
	const fromMs = dayStart(from);
	const toMs = dayStart(to);
	return {
		filter: {
			status: (status || undefined) as TaskStatus | undefined,
			environmentId: environment || undefined,
			from: Number.isNaN(fromMs) ? undefined : fromMs,
			to: Number.isNaN(toMs) ? undefined : toMs + DAY_MS
		},
		page: Math.max(1, Math.min(MAX_PAGE, Number(q.get('page')) || 1)),
		form: { status, environment, from, to }
	};
}
