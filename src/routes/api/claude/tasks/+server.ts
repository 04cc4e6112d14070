import { json } from '@sveltejs/kit';
import { bridge, optionsFromBody, TASK_PAGE_SIZE, parseTaskQuery } from '$lib/server/claude/tasks';
import { SpyreError } from '$lib/server/errors';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import { MAX_PROMPT_BYTES } from '$lib/shared/types/claude';
import type { RequestHandler } from './$types';

/** Every task, newest first, filtered by the query (claude/task-query.ts). */
export const GET: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const { filter, page } = parseTaskQuery(event.url.searchParams);
		const result = bridge.listTasks(filter, page, TASK_PAGE_SIZE);
		return json({ ...result, page, pageSize: TASK_PAGE_SIZE });
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
