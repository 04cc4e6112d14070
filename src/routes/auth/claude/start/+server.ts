import { json } from '@sveltejs/kit';
import { audited } from '$lib/server/audit';
import { startLogin } from '$lib/server/claude/auth';
import { SpyreError } from '$lib/server/errors';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

// Starts `claude setup-token` (default) or `claude auth login` on the Spyre host.
export const POST: RequestHandler = (event) =>
	api(async () => {
		const user = requireUser(event);
		const body = await readJsonBody(event.request, 1024);
		const flow = body.flow ?? 'setup_token';
		if (flow !== 'setup_token' && flow !== 'login') throw new SpyreError('validation', 'flow must be setup_token or login.', { fields: { flow: 'Unknown flow.' } });
		const view = await audited(actorOf(event), 'claude.auth.start', flow, async () => startLogin(flow, { userId: user.id }));
		return json(view);
	});
