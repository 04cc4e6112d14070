import { json } from '@sveltejs/kit';
import * as bridge from '$lib/server/claude/tasks/bridge';
import { optionsFromBody } from '$lib/server/claude/tasks/options';
import { SpyreError } from '$lib/server/errors';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import { MAX_PROMPT_BYTES, TASK_STATUSES, type TaskStatus } from '$lib/types/claude';
import type { RequestHandler } from './$types';

/** Every task, newest first: ?status=&environment=&from=YYYY-MM-DD&to=YYYY-MM-DD&page=N. */
export const GET: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const q = event.url.searchParams;
		const status = q.get('status') || undefined;
		if (status && !TASK_STATUSES.includes(status as TaskStatus)) throw new SpyreError('bad_request', 'Unknown status.');
		const day = (v: string | null) => (v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : undefined);
		const page = Math.max(1, Math.min(10_000, Number(q.get('page')) || 1));
		const to = day(q.get('to'));
		const result = bridge.listTasks(
			{ status: status as TaskStatus | undefined, environmentId: q.get('environment') || undefined, from: day(q.get('from')), to: to === undefined ? undefined : to + 86_400_000 },
			page,
			25
		);
		return json({ ...result, page, pageSize: 25 });
	});

/** Dispatch: {environmentId, prompt, options?}. */
export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const body = await readJsonBody(event.request, MAX_PROMPT_BYTES * 2 + 16 * 1024);
		if (typeof body.environmentId !== 'string') throw new SpyreError('bad_request', 'environmentId is required.');
		const options = typeof body.options === 'object' && body.options !== null ? optionsFromBody(body.options as Record<string, unknown>) : {};
		const task = await bridge.dispatch(body.environmentId, { prompt: body.prompt as string, options }, actorOf(event));
		return json({ task }, { status: 201 });
	});
