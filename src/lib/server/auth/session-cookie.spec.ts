import type { Cookies } from '@sveltejs/kit';
import { describe, expect, it } from 'vitest';
import { SESSION_COOKIE, SPYRE_COOKIE_NAMES, clearSessionCookie, cookieFromHeader, sessionCookieOptions, sessionTokenFromHeader, setSessionCookie } from './session-cookie';

function recorder() {
	const calls: Array<[string, string, string, Record<string, unknown>]> = [];
	const cookies = {
		set: (name: string, value: string, opts: Record<string, unknown>) => calls.push(['set', name, value, opts]),
		delete: (name: string, opts: Record<string, unknown>) => calls.push(['delete', name, '', opts])
	} as unknown as Cookies;
	return { cookies, calls };
}

describe('session cookie', () => {
	it('is __Host- prefixed: Secure, Path=/, no Domain, HttpOnly, SameSite=Lax', () => {
		expect(SESSION_COOKIE.startsWith('__Host-')).toBe(true);
		const exp = Date.now() + 1000;
		expect(sessionCookieOptions(exp)).toEqual({ path: '/', httpOnly: true, secure: true, sameSite: 'lax', expires: new Date(exp) });
		expect(sessionCookieOptions(exp)).not.toHaveProperty('domain');
	});

	it('is set and cleared under the one name with the same scope', () => {
		const { cookies, calls } = recorder();
		setSessionCookie(cookies, 'tok', Date.now() + 1000);
		clearSessionCookie(cookies);
		expect(calls.map((c) => [c[0], c[1], c[3].path, c[3].secure, 'domain' in c[3]])).toEqual([
			['set', SESSION_COOKIE, '/', true, false],
			['delete', SESSION_COOKIE, '/', true, false]
		]);
	});

	it('reads only the __Host- cookie, never the old Domain-scoped name a service could toss', () => {
		expect(sessionTokenFromHeader('spyre_session=tossed')).toBeNull();
		expect(sessionTokenFromHeader(`spyre_session=tossed; ${SESSION_COOKIE}=mine`)).toBe('mine');
		expect(sessionTokenFromHeader('__host-spyre_session=lower')).toBeNull();
	});

	it('names every Spyre cookie for Caddy to strip', () => {
		expect(SPYRE_COOKIE_NAMES).toEqual(['__Host-spyre_session', '__Host-spyre_svc', 'spyre_session']);
	});

	it.each<[string | undefined, string | null]>([
		[undefined, null],
		['', null],
		['spyre_session=abc', 'abc'],
		['a=1; spyre_session=abc; b=2', 'abc'],
		['xspyre_session=abc', null],
		['spyre_session_old=abc', null],
		['spyre_session=a%2Fb', 'a/b'],
		['spyre_session=%E0%A4%A', null],
		['flag; spyre_session = abc ', 'abc']
	])('cookieFromHeader(%j) -> %j', (header, value) => {
		expect(cookieFromHeader(header, 'spyre_session')).toBe(value);
	});
});
