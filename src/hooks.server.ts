// Start-up (`init`), the authentication gate (`handle`) and the one place unexpected errors are logged
// (`handleError`). Routes behind the gate can rely on `locals.user`.

import { isHttpError, isRedirect, json, redirect, type Handle, type HandleServerError, type ServerInit } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import crypto from 'node:crypto';
import { SESSION_COOKIE, cookieOptions, isSetUp, validateSession } from '$lib/server/auth';
import { getConfig } from '$lib/server/env-config';
import { start } from '$lib/server/runtime';

export const init: ServerInit = async () => {
	start();
};

/** Paths that never need a session. `/setup` is public only while there are no users. */
const PUBLIC_PATHS = new Set(['/login', '/healthz', '/auth/claude/callback']);

const authenticate: Handle = async ({ event, resolve }) => {
	const token = event.cookies.get(SESSION_COOKIE);
	const session = validateSession(token);
	event.locals.user = session?.user ?? null;
	event.locals.sessionHash = session?.tokenHash ?? null;
	if (session?.renewed && token) {
		event.cookies.set(SESSION_COOKIE, token, cookieOptions(getConfig().server.secureCookies, session.expiresAt));
	} else if (token && !session) {
		event.cookies.delete(SESSION_COOKIE, { path: '/' });
	}
	return resolve(event);
};

const gate: Handle = async ({ event, resolve }) => {
	const path = event.url.pathname;
	const isApi = path.startsWith('/api/');
	const firstBoot = !isSetUp();

	if (path === '/healthz' || path.startsWith('/_app/') || path === '/favicon.svg') return resolve(event);
	if (firstBoot) {
		if (path === '/setup') return resolve(event);
		if (isApi) return json({ error: 'Spyre is not set up yet. Open /setup in a browser.', code: 'unauthenticated' }, { status: 401 });
		redirect(303, '/setup');
	}
	// After the first user, /setup answers 404 from its own load (so the styled error page shows).
	if (PUBLIC_PATHS.has(path) || path === '/setup') return resolve(event);
	if (!event.locals.user) {
		if (isApi) return json({ error: 'Sign in first.', code: 'unauthenticated' }, { status: 401 });
		const next = path === '/' ? '' : `?next=${encodeURIComponent(path + event.url.search)}`;
		redirect(303, `/login${next}`);
	}
	return resolve(event);
};

const securityHeaders: Handle = async ({ event, resolve }) => {
	const response = await resolve(event);
	response.headers.set('X-Content-Type-Options', 'nosniff');
	response.headers.set('Referrer-Policy', 'same-origin');
	response.headers.set('X-Frame-Options', 'DENY');
	return response;
};

export const handle = sequence(securityHeaders, authenticate, gate);

export const handleError: HandleServerError = ({ error: err, event, status, message }) => {
	if (isHttpError(err) || isRedirect(err)) return { message };
	const errorId = crypto.randomUUID().slice(0, 8);
	if (status !== 404) {
		console.error(`[spyre] error ${errorId} on ${event.request.method} ${event.url.pathname}:`, err instanceof Error ? err.stack ?? err.message : err);
	}
	return { message: status === 404 ? 'Not found' : 'Something went wrong on the server.', errorId };
};
