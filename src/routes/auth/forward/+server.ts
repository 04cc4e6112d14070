// Caddy's forward_auth for service URLs: 200 when the request carries a live Spyre session, otherwise a
// redirect to sign in (browsers navigating) or 401 (everything else). The hooks already resolved the
// session cookie into locals.user; this path is public in the gate so it can answer 401 itself.

import { getConfig } from '$lib/server/env-config';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = ({ locals, request }) => {
	const headers = { 'cache-control': 'no-store' };
	if (locals.user) return new Response(null, { status: 200, headers: { ...headers, 'x-spyre-user': locals.user.username } });
	const method = request.headers.get('x-forwarded-method') ?? 'GET';
	const wantsPage = method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html');
	if (wantsPage) {
		const login = new URL('/login', getConfig().server.publicUrl);
		// `next` only for the path mode (same origin); the login page refuses foreign redirects anyway.
		const uri = request.headers.get('x-forwarded-uri');
		if (uri && uri.startsWith('/svc/')) login.searchParams.set('next', uri);
		return new Response(null, { status: 302, headers: { ...headers, location: login.href } });
	}
	return new Response('Sign in to Spyre first.', { status: 401, headers: { ...headers, 'content-type': 'text/plain' } });
};
