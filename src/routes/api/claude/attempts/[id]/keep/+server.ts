import { json } from '@sveltejs/kit';
import * as attempts from '$lib/server/claude/attempts';
import { SpyreError } from '$lib/server/errors';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** Keep one attempt ({attempt: n}) or none ({attempt: null}); `destroy` lists the hostnames confirmed to go. */
export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const body = await readJsonBody(event.request, 16 * 1024);
		const n = body.attempt;
		if (n !== null && !(typeof n === 'number' && Number.isInteger(n))) throw new SpyreError('bad_request', 'attempt must be an attempt number or null.');
		return json({ set: await attempts.keep(event.params.id, n, body.destroy, actorOf(event)) });
	});
