import { json } from '@sveltejs/kit';
import { bridge } from '$lib/server/claude/tasks';
import { actorOf, api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		return json({ task: await bridge.cancel(event.params.id, actorOf(event)) });
	});
