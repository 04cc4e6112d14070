import { json } from '@sveltejs/kit';
import { review } from '$lib/server/claude/tasks';
import { actorOf, api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** A new terminal window in the task's repo: {envId, window}; the page then opens the environment's terminal on it. */
export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		return json(await review.openTerminal(event.params.id, actorOf(event)), { status: 201 });
	});
