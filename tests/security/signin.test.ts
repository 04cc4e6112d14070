// Sign-in abuse, as found live (issue 10): open redirect, the limiter race, locking the admin out from
// elsewhere, unbounded audit growth, first-boot takeover, and sockets that outlive their session.
// Client addresses: the server is not behind a proxy here, so it keys on the TCP peer; tests connect
// from other 127.x addresses (Linux routes all of 127/8 to lo) instead of forging X-Forwarded-For,
// which this server rightly ignores.

import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, login, openEvents, postForm, setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { raw } from './surface';

const ADMIN = 'admin';
const PASSWORD = 'signin-password-1';
let spyre: RunningSpyre;
let cookie: string;

beforeAll(async () => {
	// Sockets re-check their session every 30 s in production; 300 ms here so expiry is testable.
	spyre = await startSpyre({ env: { SPYRE_SESSION_CHECK_MS: '300' } });
	cookie = await setupAdmin(spyre.url, ADMIN, PASSWORD);
});
afterAll(async () => {
	await spyre?.stop();
});

function signIn(from: string, username: string, password: string, next?: string) {
	const body = new URLSearchParams({ username, password }).toString();
	return raw(spyre.url, `/login${next === undefined ? '' : `?next=${encodeURIComponent(next)}`}`, {
		method: 'POST',
		localAddress: from,
		headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', origin: spyre.url },
		body
	});
}

function sqlite<T>(fn: (db: Database.Database) => T): T {
	const db = new Database(spyre.dbPath, { readonly: true });
	try {
		return fn(db);
	} finally {
		db.close();
	}
}

describe('open redirect', () => {
	it.each([
		'/\t/evil.example', // what ?next=/%09/evil.example decodes to: a browser drops the tab
		'/\n/evil.example',
		'//evil.example',
		'///evil.example',
		'/\\evil.example',
		'\\\\evil.example',
		'javascript:alert(1)',
		'https://evil.example',
		'/\u0000/evil.example'
	])('next=%j goes to / (signed-in GET and sign-in POST alike)', async (next) => {
		const res = await get(spyre.url, `/login?next=${encodeURIComponent(next)}`, cookie);
		expect(res.status).toBe(303);
		expect(res.headers.get('location')).toBe('/');
		const post = await signIn('127.0.0.1', ADMIN, PASSWORD, next);
		expect(post.status).toBe(303);
		expect(post.headers.location).toBe('/');
	});

	it('the raw /%09/ form from the report', async () => {
		const res = await raw(spyre.url, '/login?next=/%09/evil.example', { headers: { cookie } });
		expect(res.headers.location).toBe('/');
	});

	it('a same-origin path is kept', async () => {
		const res = await get(spyre.url, `/login?next=${encodeURIComponent('/settings/account?x=1')}`, cookie);
		expect(res.headers.get('location')).toBe('/settings/account?x=1');
	});
});

describe('limiter', () => {
	it('40 parallel wrong passwords from one address: at most 5 are evaluated, the rest are refused fast', async () => {
		const t0 = Date.now();
		const results = await Promise.all(Array.from({ length: 40 }, () => signIn('127.0.0.4', ADMIN, 'wrong-password')));
		const statuses = results.map((r) => r.status);
		expect(statuses.filter((s) => s === 400).length).toBeLessThanOrEqual(5);
		expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(35);
		expect(statuses.every((s) => s === 400 || s === 429)).toBe(true);
		// The server stayed responsive throughout.
		expect(Date.now() - t0).toBeLessThan(15_000);
		expect((await get(spyre.url, '/healthz')).status).toBe(200);
		// And that address is now refused even with the right password.
		expect((await signIn('127.0.0.4', ADMIN, PASSWORD)).status).toBe(429);
	});

	it('the admin cannot be locked out from elsewhere: a flood from many addresses leaves a known address working', async () => {
		// The admin has signed in from 127.0.0.1 (setup and the tests above). 13 attacker addresses × 4
		// guesses each stays under every per-address limit but exceeds the global per-user one.
		for (let a = 10; a < 23; a++) {
			const res = await Promise.all(Array.from({ length: 4 }, () => signIn(`127.0.0.${a}`, ADMIN, 'guess-guess')));
			expect(res.every((r) => r.status === 400 || r.status === 429)).toBe(true);
		}
		// A new address is refused for this account now...
		expect((await signIn('127.0.0.99', ADMIN, PASSWORD)).status).toBe(429);
		// ...but the admin's own, recently successful address still gets in.
		const ok = await signIn('127.0.0.1', ADMIN, PASSWORD);
		expect(ok.status).toBe(303);
		expect(ok.headers.location).toBe('/');
	});
});

describe('audit growth', () => {
	it('300 failed and refused sign-ins from one address add a handful of audit rows; the counts are kept', async () => {
		const count = () => sqlite((db) => (db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n);
		const before = count();
		for (let b = 0; b < 30; b++) {
			await Promise.all(Array.from({ length: 10 }, () => signIn('127.0.0.30', 'ghost', 'nope-nope')));
		}
		expect(count() - before).toBeLessThanOrEqual(3);
		const pending = sqlite((db) => db.prepare("SELECT outcome, SUM(count) AS n FROM auth_failure_counts WHERE ip = '127.0.0.30' GROUP BY outcome").all()) as Array<{ outcome: string; n: number }>;
		expect(pending.reduce((n, p) => n + p.n, 0)).toBe(300);
	});

	it('the audit viewer shows what is being counted', async () => {
		const res = await get(spyre.url, '/settings', cookie);
		const html = await res.text();
		expect(html).toMatch(/failed sign-in|refused sign-in/);
		expect(html).toContain('127.0.0.30');
	});
});

describe('rebinding', () => {
	it('a sign-in addressed to a foreign name is not answered', async () => {
		const res = await raw(spyre.url, '/login', {
			method: 'POST',
			headers: { host: 'evil.example', origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
			body: `username=${ADMIN}&password=${PASSWORD}`
		});
		expect(res.status).toBe(421);
		expect(res.headers['set-cookie']).toBeUndefined();
	});
});

describe('sessions and sockets', () => {
	it('signing out closes that session’s open socket with 4401, and only that one', async () => {
		const a = await login(spyre.url, ADMIN, PASSWORD);
		const b = await login(spyre.url, ADMIN, PASSWORD);
		const sa = await openEvents(spyre.url, a);
		const sb = await openEvents(spyre.url, b);
		expect((await postForm(spyre.url, '/logout', {}, { cookie: a })).status).toBe(303);
		expect((await sa.closed).code).toBe(4401);
		await new Promise((r) => setTimeout(r, 200));
		expect(sb.ws.readyState).toBe(sb.ws.OPEN);
		sb.close();
	});

	it('a socket closes with 4401 when its session expires, with no event announcing it', async () => {
		const c = await login(spyre.url, ADMIN, PASSWORD);
		const s = await openEvents(spyre.url, c);
		const hash = crypto.createHash('sha256').update(c.split('=')[1]).digest('hex');
		const db = new Database(spyre.dbPath);
		try {
			db.prepare('UPDATE sessions SET expires_at = ? WHERE token_hash = ?').run(Date.now() - 1, hash);
		} finally {
			db.close();
		}
		expect((await s.closed).code).toBe(4401);
	});

	it('"sign out everywhere" closes every socket of the user and ends every session', async () => {
		const a = await login(spyre.url, ADMIN, PASSWORD);
		const b = await login(spyre.url, ADMIN, PASSWORD);
		const sa = await openEvents(spyre.url, a);
		const sb = await openEvents(spyre.url, b);
		const res = await postForm(spyre.url, '/settings/account?/signout_everywhere', {}, { cookie: a });
		expect(res.status).toBe(303);
		expect((await sa.closed).code).toBe(4401);
		expect((await sb.closed).code).toBe(4401);
		expect((await get(spyre.url, '/api/environments', b)).status).toBe(401);
		cookie = await login(spyre.url, ADMIN, PASSWORD);
	});

	it('changing the password ends the other sessions (and their sockets) but keeps this one', async () => {
		const other = await login(spyre.url, ADMIN, PASSWORD);
		const s = await openEvents(spyre.url, other);
		const next = 'signin-password-2';
		const res = await postForm(spyre.url, '/settings/account?/password', { current: PASSWORD, password: next, confirm: next }, { cookie });
		expect(res.status).toBe(200);
		expect((await s.closed).code).toBe(4401);
		expect((await get(spyre.url, '/api/environments', cookie)).status).toBe(200);
		expect((await get(spyre.url, '/api/environments', other)).status).toBe(401);
		expect((await signIn('127.0.0.1', ADMIN, PASSWORD)).status).toBe(400);
		expect((await signIn('127.0.0.1', ADMIN, next)).status).toBe(303);
	});
});

describe('first boot outside loopback', () => {
	it('/setup needs the one-time code from the log; without it nobody can claim the server', async () => {
		const s = await startSpyre({ config: { server: { public_url: 'https://spyre.example.test' } } });
		try {
			const setup = (fields: Record<string, string>) =>
				raw(s.url, '/setup', {
					method: 'POST',
					// Plain http here (no Caddy adding X-Forwarded-Proto), so the browser's origin is http.
					headers: { host: 'spyre.example.test', origin: 'http://spyre.example.test', accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
					body: new URLSearchParams(fields).toString()
				});
			const line =
				s
					.output()
					.stdout.split('\n')
					.find((l) => l.includes('setup code')) ?? '';
			const code = /setup code ([A-Z0-9-]+)/.exec(line)?.[1];
			expect(code).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);
			const fields = { username: 'thief', password: 'thief-password-1', confirm: 'thief-password-1' };
			for (const attempt of [fields, { ...fields, code: 'AAAA-BBBB-CCCC-DDDD' }]) {
				const res = await setup(attempt);
				expect(res.status).toBe(403);
				expect(res.body).toMatch(/setup code/); // refused for the code, not for anything else
			}
			const db = new Database(s.dbPath, { readonly: true });
			expect((db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n).toBe(0);
			db.close();
			expect((await setup({ username: ADMIN, password: PASSWORD, confirm: PASSWORD, code: code! })).status).toBe(303);
		} finally {
			await s.stop();
		}
	});

	it('a loopback demo needs no code', async () => {
		const res = await get(spyre.url, '/healthz');
		expect(res.status).toBe(200);
		expect(spyre.output().stdout).not.toContain('setup code');
	});
});
