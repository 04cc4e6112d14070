import { error, fail, redirect } from '@sveltejs/kit';
import { createFirstAdmin, createSession, isSetUp, validateNewAccount } from '$lib/server/auth';
import { setSessionCookie } from '$lib/server/auth/session-cookie';
import * as audit from '$lib/server/audit';
import { isSpyreError } from '$lib/server/errors';
import { formString, readForm, safeClientAddress } from '$lib/server/http';
import { checkSetupCode, forgetSetupCode, setupCodeRequired } from '$lib/server/auth/setup-code';
import { PASSWORD_INPUT_MAX } from '$lib/shared/validation/account';
import { pageRoutes } from '$lib/shared/routes';
import type { Actions, PageServerLoad } from './$types';

// Reachable only while no user exists; afterwards it is gone (404), for pages and posts alike.
function goneAfterFirstUser(): void {
	if (isSetUp()) error(404, 'Not found');
}

export const load: PageServerLoad = () => {
	goneAfterFirstUser();
	return { codeRequired: setupCodeRequired() };
};

export const actions: Actions = {
	default: async (event) => {
		goneAfterFirstUser();
		const { request, cookies } = event;
		const ip = safeClientAddress(event);
		let form: FormData;
		try {
			form = await readForm(request);
		} catch (err) {
			return fail(isSpyreError(err) ? err.status : 400, { username: '', errors: {} as Record<string, string>, error: isSpyreError(err) ? err.message : 'Bad request.' });
		}
		const username = formString(form, 'username', 200).trim();
		const password = formString(form, 'password', PASSWORD_INPUT_MAX);
		const confirm = formString(form, 'confirm', PASSWORD_INPUT_MAX);
		const errors: Record<string, string> = validateNewAccount(username, password, confirm);
		const code = checkSetupCode(formString(form, 'code', 100), ip);
		if (!code.ok) errors.code = code.message;
		if (Object.keys(errors).length > 0) {
			if (!code.ok) audit.record({ username, ip }, 'auth.setup', username || null, 'denied', 'wrong setup code');
			return fail(code.ok ? 400 : 403, { username, errors, error: null });
		}
		try {
			const user = await createFirstAdmin(username, password);
			forgetSetupCode();
			const session = createSession(user.id, { ip, userAgent: request.headers.get('user-agent') ?? undefined });
			setSessionCookie(cookies, session.token, session.expiresAt);
			audit.record({ userId: user.id, username: user.username, ip }, 'auth.setup', user.username, 'success', 'created the admin account');
		} catch (err) {
			audit.record({ username, ip }, 'auth.setup', username, 'failure', isSpyreError(err) ? err.message : 'error');
			if (isSpyreError(err)) return fail(err.status, { username, errors: {} as Record<string, string>, error: err.message });
			throw err;
		}
		redirect(303, pageRoutes.dashboard());
	}
};
