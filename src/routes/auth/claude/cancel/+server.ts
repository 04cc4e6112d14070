import { json } from '@sveltejs/kit';
import { audited } from '$lib/server/audit';
import { cancelLogin } from '$lib/server/claude/auth';
import { actorOf, api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

export const POST: RequestHandler = (event) =>
	api(async () => {
		const user = requireUser(event);
		return json(await audited(actorOf(event), 'claude.auth.cancel', null, () => cancelLogin({ userId: user.id })));
	});
