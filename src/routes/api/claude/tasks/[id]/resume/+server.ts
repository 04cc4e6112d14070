import { json } from '@sveltejs/kit';
import { bridge, optionsFromBody } from '$lib/server/claude/tasks';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import { MAX_PROMPT_BYTES } from '$lib/shared/types/claude';
import type { RequestHandler } from './$types';

/** A new task continuing this one's conversation: {prompt, options?}. */
export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const body = await readJsonBody(event.request, MAX_PROMPT_BYTES * 2 + 16 * 1024);
		const options = typeof body.options === 'object' && body.options !== null ? optionsFromBody(body.options as Record<string, unknown>) : {};
		const task = await bridge.resume(event.params.id, body.prompt as string, options, actorOf(event));
		return json({ task }, { status: 201 });
	});
