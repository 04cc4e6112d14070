import { json } from '@sveltejs/kit';
import * as provisioner from '$lib/server/provisioner';
import { SpyreError } from '$lib/server/errors';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** Retry a failed or interrupted provision from a step (default: the step that failed), with the config as it is now. */
export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const body = await readJsonBody(event.request, 4 * 1024);
		if (body.fromStep !== undefined && typeof body.fromStep !== 'string') throw new SpyreError('bad_request', 'fromStep must be a step id.');
		const row = await provisioner.retryProvision(event.params.id, (body.fromStep as string | undefined) ?? null, actorOf(event));
		return json({ id: row.id }, { status: 202 });
	});
