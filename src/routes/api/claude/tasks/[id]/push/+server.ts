import { json } from '@sveltejs/kit';
import { review } from '$lib/server/claude/tasks';
import { actorOf, api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** Push the task's branch to its repo's remote: {output, changes}. */
export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		return json(await review.push(event.params.id, actorOf(event)));
	});
