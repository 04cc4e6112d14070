import { redirect } from '@sveltejs/kit';
import { SESSION_COOKIE, deleteSession, sessionCookieScope } from '$lib/server/auth';
import { getConfig } from '$lib/server/env-config';
import * as audit from '$lib/server/audit';
import { actorOf } from '$lib/server/http';
import type { RequestHandler } from './$types';

export const POST: RequestHandler = (event) => {
	const { locals, cookies } = event;
	if (locals.sessionHash) {
		deleteSession(locals.sessionHash);
		audit.record(actorOf(event), 'auth.logout', locals.user?.username ?? null, 'success');
	}
	cookies.delete(SESSION_COOKIE, sessionCookieScope(getConfig().server.cookieDomain));
	redirect(303, '/login');
};
