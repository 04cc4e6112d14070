// Unshare a port: its service row goes, its credentials are revoked and its Caddy route is removed.
// Declared services are not ports to unshare (404). Thin: authenticate, call ports/, audit.

import { json } from '@sveltejs/kit';
import { audited } from '$lib/server/audit';
import { actorOf, api, requireUser } from '$lib/server/http';
import * as ports from '$lib/server/ports';
import type { RequestHandler } from './$types';

export const DELETE: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const envId = event.params.id;
		const removed = await audited(
			actorOf(event),
			'service.unshare',
			envId,
			() => ports.unsharePort(envId, event.params.port),
			(r) => `port ${event.params.port} (${r.name}) unshared`
		);
		return json(removed);
	});
