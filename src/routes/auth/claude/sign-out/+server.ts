import { json } from '@sveltejs/kit';
import { audited } from '$lib/server/audit';
import { signOut } from '$lib/server/claude/auth';
import { actorOf, api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

// Forget the stored credential (and a full login's CLI credentials on the Spyre host).
export const POST: RequestHandler = (event) =>
	api(async () => {
		const user = requireUser(event);
		return json(await audited(actorOf(event), 'claude.auth.sign_out', null, async () => signOut({ userId: user.id })));
	});
