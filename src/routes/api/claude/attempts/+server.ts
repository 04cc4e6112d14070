import { json } from '@sveltejs/kit';
import * as attempts from '$lib/server/claude/attempts';
import { readDispatchBody } from '$lib/server/claude/tasks';
import { actorOf, api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** The newest attempt sets, optionally of one environment (`?environment=ID`). */
export const GET: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const sourceEnvId = event.url.searchParams.get('environment') ?? undefined;
		return json({ sets: attempts.list({ sourceEnvId }) });
	});

/** Run N attempts: {environmentId, count, prompt, options?, repo?}. */
export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const { body, environmentId, options } = await readDispatchBody(event.request);
		const set = await attempts.start({ environmentId, count: body.count, prompt: body.prompt, options, repo: body.repo }, actorOf(event));
		return json({ set }, { status: 201 });
	});
