import { json } from '@sveltejs/kit';
import { bridge } from '$lib/server/claude/tasks';
import { SpyreError } from '$lib/server/errors';
import { api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** Stored lines after ?after=SEQ (at most 1000), for clients without a socket. */
export const GET: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		bridge.taskView(event.params.id);
		const after = Number(event.url.searchParams.get('after') ?? '0');
		if (!Number.isSafeInteger(after) || after < 0) throw new SpyreError('bad_request', 'after must be a non-negative integer.');
		return json({ events: bridge.eventsSince(event.params.id, after, 1000) });
	});
