import { redirect, text } from '@sveltejs/kit';
import { pageRoutes } from '$lib/shared/routes';
import { record } from '$lib/server/audit';
import { acceptCallback } from '$lib/server/claude/auth';
import { isSpyreError } from '$lib/server/errors';
import { actorOf } from '$lib/server/http';
import type { RequestHandler } from './$types';

// The CLI's callback, pointed at Spyre instead of localhost. Public (no session needed), but it only
// hands a code to a sign-in that is waiting and whose state matches, once; every refusal looks the same.
export const GET: RequestHandler = async (event) => {
	const code = event.url.searchParams.get('code') ?? '';
	const state = event.url.searchParams.get('state') ?? '';
	try {
		await acceptCallback(code, state, { userId: event.locals.user?.id ?? null });
	} catch (err) {
		if (isSpyreError(err) && err.status < 500) return text(err.message, { status: err.status });
		throw err;
	}
	record(actorOf(event), 'claude.auth.callback', null, 'success', 'Callback relayed to the CLI.');
	redirect(303, pageRoutes.settingsClaude());
};
