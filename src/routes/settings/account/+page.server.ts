import { fail, redirect } from '@sveltejs/kit';
import { changePassword, endUserSessions } from '$lib/server/auth';
import { clearSessionCookie } from '$lib/server/auth/session-cookie';
import * as audit from '$lib/server/audit';
import { getDb } from '$lib/server/db';
import { isSpyreError } from '$lib/server/errors';
import { actorOf, formString, readForm, requireUser, safeClientAddress } from '$lib/server/http';
import { PASSWORD_INPUT_MAX } from '$lib/shared/validation/account';
import { pageRoutes } from '$lib/shared/routes';
import type { Actions, PageServerLoad } from './$types';

// The signed-in user's own account: change password, and the sessions that are signed in (with "sign out
// everywhere"). Session rows are shown by address and browser, never by token or hash.
export const load: PageServerLoad = (event) => {
	const user = requireUser(event);
	const rows = getDb()
		.prepare(
			`SELECT token_hash AS h, created_at AS createdAt, last_seen_at AS lastSeenAt, ip, user_agent AS userAgent
			 FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY last_seen_at DESC LIMIT 50`
		)
		.all(user.id, Date.now()) as Array<{ h: string; createdAt: number; lastSeenAt: number; ip: string | null; userAgent: string | null }>;
	return {
		username: user.username,
		sessions: rows.map(({ h, ...r }) => ({ ...r, current: h === event.locals.sessionHash }))
	};
};

async function readFormOrFail(request: Request) {
	try {
		return { form: await readForm(request) };
	} catch (err) {
		return { error: isSpyreError(err) ? err.message : 'The form could not be read.' };
	}
}

export const actions: Actions = {
	password: async (event) => {
		const user = requireUser(event);
		const read = await readFormOrFail(event.request);
		if (!read.form) return fail(400, { action: 'password', errors: {} as Record<string, string>, error: read.error, done: false });
		const input = {
			current: formString(read.form, 'current', PASSWORD_INPUT_MAX),
			password: formString(read.form, 'password', PASSWORD_INPUT_MAX),
			confirm: formString(read.form, 'confirm', PASSWORD_INPUT_MAX)
		};
		const errors = await changePassword(user, input, safeClientAddress(event), event.locals.sessionHash);
		if (errors) {
			audit.record(actorOf(event), 'auth.password', user.username, 'failure', Object.values(errors)[0]);
			return fail(400, { action: 'password', errors, error: null, done: false });
		}
		audit.record(actorOf(event), 'auth.password', user.username, 'success', 'changed the password; other sessions ended');
		return { action: 'password', errors: {} as Record<string, string>, error: null, done: true };
	},
	signout_everywhere: async (event) => {
		const user = requireUser(event);
		const ended = endUserSessions(user.id);
		audit.record(actorOf(event), 'auth.logout_everywhere', user.username, 'success', `${ended} session${ended === 1 ? '' : 's'} ended`);
		clearSessionCookie(event.cookies);
		redirect(303, pageRoutes.login());
	}
};
