import { json } from '@sveltejs/kit';
import { bridge, readDispatchBody, TASK_PAGE_SIZE, parseTaskQuery } from '$lib/server/claude/tasks';
import { actorOf, api, requireUser } from '$lib/server/http';
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
		const { body, environmentId, options } = await readDispatchBody(event.request);
		const task = await bridge.dispatch(environmentId, { prompt: body.prompt as string, options }, actorOf(event));
		return json({ task }, { status: 201 });
	});
