import { json } from '@sveltejs/kit';
import * as environments from '$lib/server/environments';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** Every environment merged with live Proxmox state, plus unmanaged CTs, VMs and nodes. */
export const GET: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		return json(await environments.loadInventory());
	});

/** Start creating an environment. 202 with its id; progress arrives over /api/events. */
export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const body = await readJsonBody(event.request, 16 * 1024);
		const row = await environments.createEnvironment(body, actorOf(event));
		return json({ id: row.id, environment: environments.rowView(row) }, { status: 202, headers: { location: `/api/environments/${row.id}` } });
	});
