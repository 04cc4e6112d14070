import { json } from '@sveltejs/kit';
import { audited } from '$lib/server/audit';
import { relay } from '$lib/server/claude/auth';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

// The pasted `code#state` or failed localhost address, handed to the waiting CLI. The code itself is
// never echoed, logged or audited.
export const POST: RequestHandler = (event) =>
	api(async () => {
		const user = requireUser(event);
		const body = await readJsonBody(event.request, 16 * 1024);
		const code = typeof body.code === 'string' ? body.code : '';
		const view = await audited(actorOf(event), 'claude.auth.relay', null, () => relay(code, { userId: user.id }));
		return json(view);
	});
