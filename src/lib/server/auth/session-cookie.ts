// Spyre's own session cookie: its one name and the one way it is set, cleared and read. It is host-only
// and `__Host-` prefixed (Secure, Path=/, no Domain), so no other host - no service subdomain, no sibling
// under the same parent domain - can receive it, set it or overwrite it. Spyre reads its session from this
// cookie only; a `spyre_session` (the old, Domain-scoped name) that a service tosses is ignored.
// Browsers keep Secure cookies from http://localhost and 127.0.0.1 (loopback counts as a secure context);
// other plain-http deployments are refused at start-up (env-config), because the cookie could not work there.
// Never logs or returns the token.

import type { Cookies } from '@sveltejs/kit';

export const SESSION_COOKIE = '__Host-spyre_session';
/** The name before host-only cookies: never read, stripped by Caddy and from service responses like the others. */
export const LEGACY_SESSION_COOKIE = 'spyre_session';
/** A service's own credential (service-auth/), host-only on that service's host. */
export const SERVICE_COOKIE = '__Host-spyre_svc';
/** Every cookie name Spyre owns: Caddy strips them from requests to a CT and from a CT's `Set-Cookie`. */
export const SPYRE_COOKIE_NAMES = [SESSION_COOKIE, SERVICE_COOKIE, LEGACY_SESSION_COOKIE] as const;

/** `__Host-` demands exactly this: Secure, Path=/ and no Domain. */
export function sessionCookieOptions(expiresAt: number) {
	return { path: '/', httpOnly: true, secure: true, sameSite: 'lax' as const, expires: new Date(expiresAt) };
}

export function setSessionCookie(cookies: Cookies, token: string, expiresAt: number): void {
	cookies.set(SESSION_COOKIE, token, sessionCookieOptions(expiresAt));
}

export function clearSessionCookie(cookies: Cookies): void {
	cookies.delete(SESSION_COOKIE, { path: '/', secure: true, httpOnly: true, sameSite: 'lax' });
}

export function readSessionCookie(cookies: Cookies): string | undefined {
	return cookies.get(SESSION_COOKIE);
}

/** The session token from a raw Cookie header (WebSocket upgrades, outside SvelteKit). */
export function sessionTokenFromHeader(header: string | undefined): string | null {
	return cookieFromHeader(header, SESSION_COOKIE);
}

/** Parse one cookie out of a raw Cookie header (WebSocket upgrades, outside SvelteKit). */
export function cookieFromHeader(header: string | undefined, name: string): string | null {
	if (!header) return null;
	for (const part of header.split(';')) {
		const eq = part.indexOf('=');
		if (eq < 0) continue;
		if (part.slice(0, eq).trim() === name) {
			try {
				return decodeURIComponent(part.slice(eq + 1).trim());
			} catch {
				return null;
			}
		}
	}
	return null;
}
