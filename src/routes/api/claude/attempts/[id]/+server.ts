import { json } from '@sveltejs/kit';
import * as attempts from '$lib/server/claude/attempts';
import { api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		return json({ set: attempts.view(event.params.id) });
	});
