import { json } from '@sveltejs/kit';
import { authHistory, authStatus } from '$lib/server/claude/auth';
import { api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

// Browser-safe: the state, method, expiry and last error; `?history=1` adds the auth log.
export const GET: RequestHandler = (event) =>
	api(() => {
		requireUser(event);
		const withHistory = event.url.searchParams.get('history') === '1';
		return json(withHistory ? { ...authStatus(), history: authHistory(50) } : authStatus());
	});
