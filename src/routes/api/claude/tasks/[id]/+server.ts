import { json } from '@sveltejs/kit';
import { bridge } from '$lib/server/claude/tasks';
import { api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		return json({ task: bridge.taskView(event.params.id) });
	});
