import { json } from '@sveltejs/kit';
import * as provisioner from '$lib/server/provisioner';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** Provision an environment from a config: 202 with its id; the run's progress arrives over /api/events. */
export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const body = await readJsonBody(event.request, 16 * 1024);
		const row = await provisioner.provisionEnvironment(body, actorOf(event));
		return json({ id: row.id }, { status: 202, headers: { location: `/api/environments/${row.id}` } });
	});
