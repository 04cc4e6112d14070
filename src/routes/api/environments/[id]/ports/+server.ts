// Ports listening in an environment (GET; the page asks every 5 s while it is open, one scan serves every
// viewer for a few seconds) and Share (POST {port}): the port gets a service URL with the declared
// services' origin and sign-in rules. Thin: authenticate, call ports/, audit, map errors.

import { json } from '@sveltejs/kit';
import { audited } from '$lib/server/audit';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import * as ports from '$lib/server/ports';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		return json(await ports.listPorts(event.params.id));
	});

export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const envId = event.params.id;
		const shared = await audited(
			actorOf(event),
			'service.share',
			envId,
			async () => ports.sharePort(envId, (await readJsonBody(event.request, 1024)).port),
			(r) => `port ${r.service.port} shared as ${r.service.name}${r.service.url ? ` at ${r.service.url}` : ''}`
		);
		return json(shared, { status: 201 });
	});
