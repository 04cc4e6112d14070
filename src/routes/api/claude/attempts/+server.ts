import { json } from '@sveltejs/kit';
import * as attempts from '$lib/server/claude/attempts';
import { optionsFromBody } from '$lib/server/claude/tasks';
import { SpyreError } from '$lib/server/errors';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import { MAX_PROMPT_BYTES } from '$lib/shared/types/claude';
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
		const body = await readJsonBody(event.request, MAX_PROMPT_BYTES * 2 + 16 * 1024);
		if (typeof body.environmentId !== 'string') throw new SpyreError('bad_request', 'environmentId is required.');
		const options = typeof body.options === 'object' && body.options !== null ? optionsFromBody(body.options as Record<string, unknown>) : {};
		const set = await attempts.start({ environmentId: body.environmentId, count: body.count, prompt: body.prompt, options, repo: body.repo }, actorOf(event));
		return json({ set }, { status: 201 });
	});
