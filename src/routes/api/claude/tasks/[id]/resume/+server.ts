import { json } from '@sveltejs/kit';
import { bridge, readTaskBody } from '$lib/server/claude/tasks';
import { actorOf, api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** A new task continuing this one's conversation: {prompt, options?}. */
export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const { body, options } = await readTaskBody(event.request);
		const task = await bridge.resume(event.params.id, body.prompt as string, options, actorOf(event));
		return json({ task }, { status: 201 });
	});
