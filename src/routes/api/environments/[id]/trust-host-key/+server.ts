// Re-trusting an environment's SSH host key (after its container was rebuilt). GET shows the pinned key
// and the one the container presents now; POST {fingerprint} pins the presented key only if it is the
// one the person confirmed, so a key swapped in between the page view and the click is never trusted.

import { json } from '@sveltejs/kit';
import { audited } from '$lib/server/audit';
import { getEnvironment } from '$lib/server/environments/repo';
import { requireReachable } from '$lib/server/environments/reachable';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import * as ssh from '$lib/server/ssh';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const target = requireReachable(event.params.id);
		const pinned = getEnvironment(target.envId)?.host_key_fingerprint ?? null;
		const presented = await ssh.presentedHostKey(target);
		return json({ pinned, presented, changed: pinned !== null && pinned !== presented });
	});

export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const row = getEnvironment(event.params.id);
		const label = row ? `${row.hostname} (${row.id})` : event.params.id;
		const result = await audited(
			actorOf(event),
			'environment.trust_host_key',
			label,
			async () => {
				const fingerprint = ssh.parseFingerprint((await readJsonBody(event.request, 4096)).fingerprint);
				return ssh.trustHostKey(requireReachable(event.params.id), fingerprint);
			},
			(r) => `${r.previous ?? 'none'} -> ${r.fingerprint}`
		);
		return json({ ok: true, fingerprint: result.fingerprint });
	});
