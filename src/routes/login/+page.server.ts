import { fail, redirect } from '@sveltejs/kit';
import { createSession, verifyLogin } from '$lib/server/auth';
import { setSessionCookie } from '$lib/server/auth/session-cookie';
import * as audit from '$lib/server/audit';
import { recordAuthFailure } from '$lib/server/auth/audit';
import { isSpyreError } from '$lib/server/errors';
import { formString, readForm, safeClientAddress, safeNext } from '$lib/server/http';
import { PASSWORD_INPUT_MAX, USERNAME_MAX } from '$lib/shared/validation/account';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals, url }) => {
	if (locals.user) redirect(303, safeNext(url.searchParams.get('next')));
	return {};
};

export const actions: Actions = {
	default: async (event) => {
		const { request, cookies, url } = event;
		let form: FormData;
		try {
			form = await readForm(request);
		} catch (err) {
			return fail(isSpyreError(err) ? err.status : 400, { username: '', error: isSpyreError(err) ? err.message : 'Bad request.' });
		}
		const username = formString(form, 'username', USERNAME_MAX).trim();
		const password = formString(form, 'password', PASSWORD_INPUT_MAX);
		const ip = safeClientAddress(event);
		if (!username || !password) {
			return fail(400, { username, error: 'Enter your username and password.' });
		}
		const result = await verifyLogin(username, password, ip);
		if (!result.ok) {
			// Aggregated per address, username and window: a flood must not grow the audit log without bound.
			recordAuthFailure(ip, username, result.reason === 'invalid' ? 'failure' : 'denied');
			if (result.reason === 'busy') {
				return fail(429, { username, error: 'Too many sign-ins at once. Try again in a few seconds.' });
			}
			if (result.reason === 'rate_limited') {
				const minutes = Math.ceil(result.retryAfterMs / 60000);
				return fail(429, { username, error: `Too many failed sign-ins. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.` });
			}
			return fail(400, { username, error: 'Wrong username or password.' });
		}
		const session = createSession(result.user.id, { ip, userAgent: request.headers.get('user-agent') ?? undefined });
		setSessionCookie(cookies, session.token, session.expiresAt);
		audit.record({ userId: result.user.id, username: result.user.username, ip }, 'auth.login', result.user.username, 'success');
		redirect(303, safeNext(url.searchParams.get('next')));
	}
};
