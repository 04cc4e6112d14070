import { json } from '@sveltejs/kit';
import { bridge } from '$lib/server/claude/tasks';
import { SpyreError } from '$lib/server/errors';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** Install Claude Code in an environment: {environmentId}. */
export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const body = await readJsonBody(event.request);
		if (typeof body.environmentId !== 'string') throw new SpyreError('bad_request', 'environmentId is required.');
		return json(await bridge.installCli(body.environmentId, actorOf(event)));
	});
