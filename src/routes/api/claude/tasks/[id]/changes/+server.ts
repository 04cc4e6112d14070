import { json } from '@sveltejs/kit';
import { bridge, changesView } from '$lib/server/claude/tasks';
import { api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** What the task changed in its repo: {changes} (null when it worked on no repo). */
export const GET: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		bridge.taskView(event.params.id); // 404 for an unknown task
		return json({ changes: changesView(event.params.id) });
	});
