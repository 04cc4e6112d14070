// Every route (walked from src/routes) and every socket path, as an outsider: without a session, with a
// forged, expired or revoked cookie, cross-site, Origin-less and under a foreign Host name.

import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type RunningSim } from '../helpers/sim';
import { get, login, postForm, setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { SESSION_COOKIE } from '../../src/lib/server/auth/session-cookie';
import { raw, rawUpgrade, requestPath, socketPaths, walkRoutes, type Endpoint } from './surface';

const ADMIN = 'admin';
const PASSWORD = 'surface-password-1';
const endpoints = walkRoutes();
const mutating = endpoints.filter((e) => e.method !== 'GET');
const label = (e: Endpoint) => `${e.method} ${requestPath(e)}`;

/** Public after first boot: everything else must refuse an anonymous caller. */
function isPublic(e: Endpoint): boolean {
	// /auth/claude/callback is public by design (hooks PUBLIC_PATHS): it only answers a waiting sign-in's state.
	// The service gateway paths (Caddy's forward_auth, the handshake callback) check a service credential or
	// a one-time code themselves; 'the service gateway paths' below holds them to that.
	return e.id === '/healthz' || e.id === '/login' || e.id === '/auth/claude/callback' || e.id === '/auth/forward' || e.id === '/auth/service/callback';
}

let sim: RunningSim;
let spyre: RunningSpyre;
let cookie: string;

beforeAll(async () => {
	sim = await startSim();
	spyre = await startSpyre({ simJson: sim.simJson });
});
afterAll(async () => {
	await spyre?.stop();
	await sim?.stop();
});

function bodyFor(e: Endpoint): { headers: Record<string, string>; body?: string } {
	if (e.kind === 'api') return { headers: { 'content-type': 'application/json', accept: 'application/json' }, body: '{}' };
	return { headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: 'x=1' };
}

/** What an anonymous request must get: 401 JSON for the API, a redirect to `to` for pages. */
async function expectRefused(e: Endpoint, extra: Record<string, string>, to: '/login' | '/setup') {
	const own = new URL(spyre.url).origin;
	const { headers, body } = bodyFor(e);
	const res = await raw(spyre.url, requestPath(e), {
		method: e.method,
		headers: { ...headers, ...extra, ...(e.method !== 'GET' ? { origin: own } : {}) },
		body: e.method === 'GET' ? undefined : body
	});
	if (e.kind === 'api') {
		expect([label(e), res.status], res.body.slice(0, 200)).toEqual([label(e), 401]);
	} else {
		// The gate answers 303; /auth/forward (Caddy's forward_auth) answers its own 302 with an absolute URL,
		// since the browser is then on a service's host.
		expect([label(e), res.status === 303 || (e.id === '/auth/forward' && res.status === 302)]).toEqual([label(e), true]);
		expect(res.headers.location ?? '', label(e)).toMatch(new RegExp(`^(https?://[^/]+)?${to}(\\?|$)`));
	}
}

describe('the walker', () => {
	it('finds the routes it must (so an empty walk cannot pass everything)', () => {
		const ids = new Set(endpoints.map((e) => e.id));
		for (const id of ['/healthz', '/login', '/setup', '/logout', '/settings', '/settings/account', '/api/environments', '/api/environments/[id]/start']) {
			expect(ids, id).toContain(id);
		}
		expect(mutating.length).toBeGreaterThan(8);
		expect(socketPaths()).toContain('/api/events');
	});
});

describe('first boot (no account yet)', () => {
	it('everything but /healthz and /setup sends the caller to /setup (pages) or answers 401 (API)', async () => {
		for (const e of endpoints) {
			if (e.id === '/healthz' || e.id === '/setup') continue;
			await expectRefused(e, {}, '/setup');
		}
		expect((await get(spyre.url, '/setup')).status).toBe(200);
		expect((await get(spyre.url, '/healthz')).status).toBe(200);
	});

	it('the created account is the only one; /setup is gone afterwards', async () => {
		cookie = await setupAdmin(spyre.url, ADMIN, PASSWORD);
		expect((await get(spyre.url, '/setup')).status).toBe(404);
		expect((await postForm(spyre.url, '/setup', { username: 'second', password: PASSWORD, confirm: PASSWORD })).status).toBe(404);
	});
});

describe('without a valid session', () => {
	it('only /healthz and /login answer; every other route refuses', async () => {
		for (const e of endpoints) if (!isPublic(e) && e.id !== '/setup') await expectRefused(e, {}, '/login');
	});

	it.each([
		['a forged token', `${SESSION_COOKIE}=${'A'.repeat(43)}`],
		['a token with bad characters', `${SESSION_COOKIE}=%00%27%3B--`],
		['a hash of a real token instead of the token', `${SESSION_COOKIE}=${'f'.repeat(64)}`]
	])('%s is refused everywhere', async (_name, forged) => {
		for (const e of endpoints) if (!isPublic(e) && e.id !== '/setup') await expectRefused(e, { cookie: forged }, '/login');
	});

	it('an expired session is refused everywhere', async () => {
		const c = await login(spyre.url, ADMIN, PASSWORD);
		const db = new Database(spyre.dbPath);
		try {
			// The newest session is the one just created; age it past both its sliding and absolute end.
			db.prepare('UPDATE sessions SET expires_at = ?, created_at = ? WHERE token_hash = (SELECT token_hash FROM sessions ORDER BY created_at DESC LIMIT 1)').run(
				Date.now() - 1000,
				Date.now() - 31 * 24 * 3600 * 1000
			);
		} finally {
			db.close();
		}
		for (const e of endpoints) if (!isPublic(e) && e.id !== '/setup') await expectRefused(e, { cookie: c }, '/login');
	});

	it('a session older than 30 days is refused even though it was used a moment ago', async () => {
		const c = await login(spyre.url, ADMIN, PASSWORD);
		const db = new Database(spyre.dbPath);
		try {
			db.prepare('UPDATE sessions SET created_at = ?, last_seen_at = ? WHERE token_hash = (SELECT token_hash FROM sessions ORDER BY created_at DESC LIMIT 1)').run(
				Date.now() - 30 * 24 * 3600 * 1000 - 1000,
				Date.now()
			);
		} finally {
			db.close();
		}
		expect((await get(spyre.url, '/api/environments', c)).status).toBe(401);
	});

	it('a signed-out (revoked) session is refused everywhere', async () => {
		const c = await login(spyre.url, ADMIN, PASSWORD);
		expect((await get(spyre.url, '/api/environments', c)).status).toBe(200);
		expect((await postForm(spyre.url, '/logout', {}, { cookie: c })).status).toBe(303);
		for (const e of endpoints) if (!isPublic(e) && e.id !== '/setup') await expectRefused(e, { cookie: c }, '/login');
	});
});

describe('the service gateway paths', () => {
	it('answer no 2xx to a caller without a service credential or code, a Spyre session and a forged service host included', async () => {
		for (const headers of [{}, { cookie }, { cookie, 'x-spyre-service-host': 'web--nowhere.example.com' }, { 'x-spyre-service-host': 'spyre.example.com' }]) {
			for (const p of ['/auth/forward', '/auth/service/callback?code=' + 'C'.repeat(43)]) {
				const res = await raw(spyre.url, p, { headers: { accept: 'text/html', ...headers } });
				expect([p, JSON.stringify(headers), res.status >= 300]).toEqual([p, JSON.stringify(headers), true]);
				expect(res.headers['set-cookie'] ?? []).toEqual([]);
			}
		}
	});
});

describe('cross-site and rebinding, with a valid session', () => {
	const own = () => new URL(spyre.url).origin;
	const send = (e: Endpoint, headers: Record<string, string | undefined>) => {
		const b = bodyFor(e);
		return raw(spyre.url, requestPath(e), { method: e.method, headers: { ...b.headers, cookie, ...headers }, body: b.body });
	};

	it('every mutating route refuses a foreign Origin', async () => {
		for (const e of mutating) {
			const res = await send(e, { origin: 'https://evil.example' });
			expect([label(e), res.status]).toEqual([label(e), 403]);
		}
	});

	it('every mutating route refuses a request without Origin (body-less POSTs included)', async () => {
		for (const e of mutating) {
			const res = await send(e, {});
			expect([label(e), res.status]).toEqual([label(e), 403]);
			const bare = await raw(spyre.url, requestPath(e), { method: e.method, headers: { cookie } });
			expect([label(e), 'no body', bare.status]).toEqual([label(e), 'no body', 403]);
		}
	});

	it('every route (pages, API, mutations) refuses a foreign Host with 421', async () => {
		for (const e of endpoints) {
			if (e.id === '/healthz') continue;
			const res = await send(e, { host: `rebind.evil.example:${spyre.port}`, origin: `http://rebind.evil.example:${spyre.port}` });
			expect([label(e), res.status]).toEqual([label(e), 421]);
		}
	});

	it('the same-origin request still works (the refusals above are about Origin and Host only)', async () => {
		const res = await raw(spyre.url, '/api/environments', { headers: { cookie } });
		expect(res.status).toBe(200);
		const ok = await postForm(spyre.url, '/logout', {}, { cookie: await login(spyre.url, ADMIN, PASSWORD), origin: own() });
		expect(ok.status).toBe(303);
	});
});

describe('sockets', () => {
	const status = (o: Awaited<ReturnType<typeof rawUpgrade>>) => ('destroyed' in o ? 'destroyed' : o.status);
	const own = () => new URL(spyre.url).origin;

	it('every socket path refuses with its own status: no session, forged cookie, foreign Origin, foreign Host', async () => {
		const seen: [string, string, unknown][] = [];
		for (const p of socketPaths()) {
			seen.push([p, 'no session', status(await rawUpgrade(spyre.url, p, { origin: own() }))]);
			seen.push([p, 'forged', status(await rawUpgrade(spyre.url, p, { origin: own(), cookie: `${SESSION_COOKIE}=${'B'.repeat(43)}` }))]);
			seen.push([p, 'foreign origin', status(await rawUpgrade(spyre.url, p, { cookie, origin: 'https://evil.example' }))]);
			seen.push([p, 'foreign host', status(await rawUpgrade(spyre.url, p, { cookie, host: `evil.example:${spyre.port}`, origin: `http://evil.example:${spyre.port}` }))]);
		}
		// A known path is answered, never silently dropped: each refusal names its reason.
		const expected: Record<string, number> = { 'no session': 401, forged: 401, 'foreign origin': 403, 'foreign host': 421 };
		expect(seen.filter(([, kind, s]) => s !== expected[kind])).toEqual([]);
	});

	it('every socket path accepts a valid session from Spyre’s own origin; only unknown paths are dropped', async () => {
		for (const p of socketPaths()) {
			expect([p, status(await rawUpgrade(spyre.url, p, { cookie, origin: own() }))]).toEqual([p, 101]);
		}
		for (const p of ['/api/nope', '/api/terminal/a/b', '/api/claude/', '/api/events/extra']) {
			expect([p, status(await rawUpgrade(spyre.url, p, { cookie, origin: own() }))]).toEqual([p, 'destroyed']);
		}
	});
});

describe('response headers', () => {
	it('pages carry a nonce CSP that forbids framing, plus the other security headers', async () => {
		const res = await raw(spyre.url, '/login');
		const csp = String(res.headers['content-security-policy']);
		expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
		expect(csp).toContain("frame-ancestors 'none'");
		expect(csp).toContain("object-src 'none'");
		expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
		const nonce = /'nonce-([^']+)'/.exec(csp)![1];
		// Every inline script in the page carries the nonce.
		for (const m of res.body.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)) expect(m[1]).toContain(`nonce="${nonce}"`);
		expect(res.headers['x-content-type-options']).toBe('nosniff');
		expect(res.headers['referrer-policy']).toBe('same-origin');
		expect(String(res.headers['permissions-policy'])).toMatch(/camera=\(\)/);
		expect(res.headers['x-frame-options']).toBe('DENY');
		expect(res.headers['strict-transport-security']).toBeUndefined(); // Caddy's job
	});

	it('API answers carry a CSP that allows nothing', async () => {
		const res = await raw(spyre.url, '/api/environments', { headers: { cookie } });
		expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
		expect(res.headers['x-content-type-options']).toBe('nosniff');
	});
});
