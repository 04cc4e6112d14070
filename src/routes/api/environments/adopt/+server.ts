import { json } from '@sveltejs/kit';
import * as environments from '$lib/server/environments';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** Start managing a CT that exists on the cluster but not in Spyre. Body: {vmid}. */
export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const body = await readJsonBody(event.request, 1024);
		const row = await environments.adoptContainer(Number(body.vmid), actorOf(event));
		return json({ id: row.id, environment: environments.rowView(row) }, { status: 201 });
	});
