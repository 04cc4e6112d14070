import { json } from '@sveltejs/kit';
import * as audit from '$lib/server/audit';
import * as environments from '$lib/server/environments';
import { SpyreError } from '$lib/server/errors';
import { actorOf, api, requireUser } from '$lib/server/http';
import * as ssh from '$lib/server/ssh-pool';
import type { RequestHandler } from './$types';

/** Forget the pinned SSH host key (after a container was rebuilt); the next connection pins the new one. */
export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const row = environments.getEnvironment(event.params.id);
		if (!row) throw new SpyreError('not_found', `Environment ${event.params.id} does not exist.`);
		ssh.trustHostKey(row.id);
		audit.record(actorOf(event), 'environment.trust_host_key', `${row.hostname} (${row.id})`, 'success');
		return json({ ok: true });
	});
