// Start-up (`init`, which starts the background services), the request guard (Host allowlist, Origin on
// mutations), the authentication gate (`handle`) and page errors (`handleError`, judged by error-funnel.ts
// like the JSON routes' errors). Routes behind the gate can rely on `locals.user`. The Content-Security-Policy itself is kit.csp in svelte.config.js (nonces).

import { json, redirect, text, type Handle, type HandleServerError, type ServerInit } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import { isSetUp, validateSession } from '$lib/server/auth';
import { getConfig } from '$lib/server/env-config';
import { judgeError } from '$lib/server/error-funnel';
import { MUTATING_METHODS, SERVICE_GATEWAY_PATHS, crossSiteAllowed, hostAllowed, hostPolicy, mutationOriginAllowed } from '$lib/server/request-guard';
import { start } from '$lib/server/runtime';
import { pageRoutes } from '$lib/shared/routes';
import { clearSessionCookie, readSessionCookie, setSessionCookie } from '$lib/server/auth/session-cookie';

export const init: ServerInit = async () => {
	await start();
};

/** Refuse what no legitimate browser of this Spyre sends, before any cookie is read. */
const guard: Handle = async ({ event, resolve }) => {
	const policy = hostPolicy(getConfig().server.publicUrl);
	// /healthz answers probes on any name: it reveals nothing, and monitors often use an address.
	if (event.url.pathname !== '/healthz' && !hostAllowed(event.url.host, policy)) {
		return text('Misdirected Request: this server does not answer for that host name.', { status: 421 });
	}
	const h = event.request.headers;
	const site = { site: h.get('sec-fetch-site'), mode: h.get('sec-fetch-mode'), dest: h.get('sec-fetch-dest') };
	if (!crossSiteAllowed(site, event.request.method, event.url.pathname)) {
		const message = 'Requests that another site makes are refused.';
		if (event.url.pathname.startsWith('/api/')) return json({ error: message, code: 'forbidden' }, { status: 403 });
		return text(message, { status: 403 });
	}
	if (MUTATING_METHODS.has(event.request.method) && !mutationOriginAllowed(event.request.headers.get('origin'), event.url.origin, policy)) {
		const message = 'Cross-site or Origin-less requests that change something are refused.';
		if (event.url.pathname.startsWith('/api/')) return json({ error: message, code: 'forbidden' }, { status: 403 });
		return text(message, { status: 403 });
	}
	return resolve(event);
};

/** Paths that never need a session. `/setup` is public only while there are no users. */
const PUBLIC_PATHS = new Set([pageRoutes.login(), '/healthz', '/auth/claude/callback', ...SERVICE_GATEWAY_PATHS]);

const authenticate: Handle = async ({ event, resolve }) => {
	const token = readSessionCookie(event.cookies);
	const session = validateSession(token);
	event.locals.user = session?.user ?? null;
	event.locals.sessionHash = session?.tokenHash ?? null;
	if (session?.renewed && token) {
		setSessionCookie(event.cookies, token, session.expiresAt);
	} else if (token && !session) {
		clearSessionCookie(event.cookies);
	}
	return resolve(event);
};

const gate: Handle = async ({ event, resolve }) => {
	const path = event.url.pathname;
	const isApi = path.startsWith('/api/');
	const firstBoot = !isSetUp();

	if (path === '/healthz' || path.startsWith('/_app/') || path === '/favicon.svg') return resolve(event);
	if (firstBoot) {
		if (path === pageRoutes.setup()) return resolve(event);
		if (isApi) return json({ error: 'Spyre is not set up yet. Open /setup in a browser.', code: 'unauthenticated' }, { status: 401 });
		redirect(303, pageRoutes.setup());
	}
	// After the first user, /setup answers 404 from its own load (so the styled error page shows).
	if (PUBLIC_PATHS.has(path) || path === pageRoutes.setup()) return resolve(event);
	if (!event.locals.user) {
		if (isApi) return json({ error: 'Sign in first.', code: 'unauthenticated' }, { status: 401 });
		redirect(303, pageRoutes.login(path === '/' ? undefined : path + event.url.search));
	}
	return resolve(event);
};

// Spyre uses none of these browser features; denying them limits what injected content could do.
const PERMISSIONS_POLICY = [
	'accelerometer',
	'autoplay',
	'camera',
	'display-capture',
	'geolocation',
	'gyroscope',
	'hid',
	'magnetometer',
	'microphone',
	'midi',
	'payment',
	'publickey-credentials-get',
	'screen-wake-lock',
	'serial',
	'usb',
	'xr-spatial-tracking'
]
	.map((f) => `${f}=()`)
	.join(', ');

const securityHeaders: Handle = async ({ event, resolve }) => {
	const response = await resolve(event);
	// Some responses (redirects, fetched static files) have immutable headers; those get none.
	try {
		response.headers.set('X-Content-Type-Options', 'nosniff');
		response.headers.set('Referrer-Policy', 'same-origin');
		response.headers.set('X-Frame-Options', 'DENY');
		response.headers.set('Permissions-Policy', PERMISSIONS_POLICY);
		response.headers.set('Cross-Origin-Opener-Policy', 'same-origin');
		response.headers.set('Cross-Origin-Resource-Policy', 'same-origin');
		if (!response.headers.has('content-security-policy')) {
			// Non-page responses (JSON, text) get a policy that allows nothing; pages get kit.csp's.
			response.headers.set('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
		}
	} catch {
		// Immutable headers: nothing to add.
	}
	return response;
};

export const handle = sequence(securityHeaders, guard, authenticate, gate);

export const handleError: HandleServerError = ({ error: err, event, status, message }) => {
	const judged = judgeError(err, { where: `${event.request.method} ${event.url.pathname}`, kit: { status, message } });
	if (judged.expected) return { message: judged.message, code: judged.code };
	return { message: judged.message, errorId: judged.errorId };
};
