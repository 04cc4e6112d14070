import { redirect } from '@sveltejs/kit';
import { pageRoutes } from '$lib/shared/routes';
import { deleteSession } from '$lib/server/auth';
import { clearSessionCookie } from '$lib/server/auth/session-cookie';
import * as audit from '$lib/server/audit';
import { actorOf } from '$lib/server/http';
import type { RequestHandler } from './$types';

export const POST: RequestHandler = (event) => {
	const { locals, cookies } = event;
	if (locals.sessionHash) {
		deleteSession(locals.sessionHash);
		audit.record(actorOf(event), 'auth.logout', locals.user?.username ?? null, 'success');
	}
	clearSessionCookie(cookies);
	redirect(303, pageRoutes.login());
};
