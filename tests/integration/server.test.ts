// The built server (`node server.js`) end to end over HTTP and WebSocket: first boot, setup, sessions,
// the auth gate, /api/events (auth, Origin, replay after reconnect), bad input, rate limiting, audit rows,
// SIGTERM, and start-up failures. Needs `npm run build` first.
//
// Live delivery of published events (publish() inside the server) is covered by the features that
// publish (environments); no route publishes yet, so replay is driven by rows written into the DB.

import bcrypt from 'bcrypt';
import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, login, makeDataDir, openEvents, postForm, runUntilExit, sessionCookieFrom, sessionSetCookie, startSpyre, upgradeStatus, type RunningSpyre, type StopResult } from '../helpers/spyre';
import { SESSION_COOKIE } from '../../src/lib/server/auth/session-cookie';

const ADMIN = 'admin';
const PASSWORD = 'integration-pass-1';
/** Frames of a Node stack trace: none may reach a client. */
const STACK = /\n\s+at [^\n]+:\d+:\d+|node:internal|\/src\/lib\/|\/build\/server\//;

function alertText(html: string): string | null {
	return /role="alert">([^<]*)</.exec(html)?.[1] ?? null;
}

function hash(token: string): string {
	return crypto.createHash('sha256').update(token).digest('hex');
}

/** A form post from a given loopback source address (the server keys rate limits on the peer IP). */
function postFormFrom(localAddress: string, url: string, pathname: string, fields: Record<string, string>): Promise<{ status: number; body: string }> {
	const body = new URLSearchParams(fields).toString();
	const target = new URL(pathname, url);
	return new Promise((resolve, reject) => {
		const req = http.request(
			{
				host: target.hostname,
				port: target.port,
				path: target.pathname,
				method: 'POST',
				localAddress,
				headers: {
					'content-type': 'application/x-www-form-urlencoded',
					'content-length': Buffer.byteLength(body),
					accept: 'text/html',
					origin: target.origin
				}
			},
			(res) => {
				let text = '';
				res.setEncoding('utf8');
				res.on('data', (d) => (text += d));
				res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
			}
		);
		req.on('error', reject);
		req.end(body);
	});
}

describe('built server', () => {
	let spyre: RunningSpyre;
	let cookie = '';
	let dbPath = '';

	/** A short-lived handle on the server's DB file (WAL allows a second connection). */
	function withDb<T>(fn: (db: Database.Database) => T): T {
		const db = new Database(dbPath);
		try {
			db.pragma('busy_timeout = 5000');
			return fn(db);
		} finally {
			db.close();
		}
	}

	beforeAll(async () => {
		spyre = await startSpyre({ config: { unknown_section: { anything: 1 } } });
		dbPath = spyre.dbPath;
	});

	afterAll(async () => {
		await spyre?.stop();
	});

	describe('first boot', () => {
		it('warned about the unknown config key on start-up', () => {
			expect(spyre.output().stderr).toContain('config warning: unknown_section: unknown key (ignored)');
		});

		it('/healthz is {"status":"ok"} and shows no versions', async () => {
			const res = await get(spyre.url, '/healthz');
			expect(res.status).toBe(200);
			expect(res.headers.get('content-type')).toMatch(/^application\/json/);
			expect(res.headers.get('cache-control')).toBe('no-store');
			expect(res.headers.get('x-powered-by')).toBeNull();
			expect(res.headers.get('server')).toBeNull();
			expect(await res.text()).toBe('{"status":"ok"}');
		});

		it.each(['/', '/environments', '/settings', '/login', '/nope'])('%s redirects to /setup', async (p) => {
			const res = await get(spyre.url, p);
			expect(res.status).toBe(303);
			expect(res.headers.get('location')).toBe('/setup');
		});

		it('/api/* is 401 JSON {error, code}', async () => {
			const res = await get(spyre.url, '/api/anything');
			expect(res.status).toBe(401);
			expect(res.headers.get('content-type')).toMatch(/^application\/json/);
			const body = await res.json();
			expect(body).toEqual({ error: expect.any(String), code: 'unauthenticated' });
			expect(body.error).toMatch(/setup/);
		});

		it('/setup renders the form, with security headers', async () => {
			const res = await get(spyre.url, '/setup');
			expect(res.status).toBe(200);
			expect(res.headers.get('x-frame-options')).toBe('DENY');
			expect(res.headers.get('x-content-type-options')).toBe('nosniff');
			const html = await res.text();
			expect(html).toContain('Create the administrator account');
			expect(html).toMatch(/<label for="username">/);
		});

		it('the events socket is refused (401) before setup', async () => {
			expect(await upgradeStatus(spyre.url)).toBe(401);
		});

		it('/setup validates: short password, mismatched confirm, bad username; nothing is created', async () => {
			let res = await postForm(spyre.url, '/setup', { username: ADMIN, password: 'short', confirm: 'short' });
			expect(res.status).toBe(400);
			expect(await res.text()).toContain('Use at least 10 characters.');
			res = await postForm(spyre.url, '/setup', { username: ADMIN, password: PASSWORD, confirm: `${PASSWORD}x` });
			expect(res.status).toBe(400);
			expect(await res.text()).toContain('The two passwords differ.');
			res = await postForm(spyre.url, '/setup', { username: '../admin', password: PASSWORD, confirm: PASSWORD });
			expect(res.status).toBe(400);
			expect(sessionCookieFrom(res)).toBeNull();
			expect(withDb((db) => db.prepare('SELECT COUNT(*) AS n FROM users').get())).toEqual({ n: 0 });
		});

		it('/setup refuses a cross-site post (no Origin / foreign Origin)', async () => {
			for (const origin of [null, 'https://evil.example.com']) {
				const res = await postForm(spyre.url, '/setup', { username: ADMIN, password: PASSWORD, confirm: PASSWORD }, { origin });
				expect(res.status).toBe(403);
				expect(await res.text()).not.toMatch(STACK);
			}
			expect(withDb((db) => db.prepare('SELECT COUNT(*) AS n FROM users').get())).toEqual({ n: 0 });
		});

		it('/setup creates the admin and sets a __Host- session cookie: HttpOnly, SameSite=Lax, Secure (loopback http too), no Domain', async () => {
			const res = await postForm(spyre.url, '/setup', { username: ADMIN, password: PASSWORD, confirm: PASSWORD });
			expect(res.status).toBe(303);
			expect(res.headers.get('location')).toBe('/');
			const setCookie = sessionSetCookie(res)!;
			expect(setCookie).toBeDefined();
			expect(setCookie).toMatch(/;\s*HttpOnly/i);
			expect(setCookie).toMatch(/;\s*SameSite=Lax/i);
			expect(setCookie).toMatch(/;\s*Path=\//i);
			expect(setCookie).toMatch(/;\s*Expires=/i);
			expect(setCookie).toMatch(/;\s*Secure/i);
			expect(setCookie.split('=')[0]).toBe(SESSION_COOKIE);
			expect(setCookie).not.toMatch(/;\s*Domain=/i);
			cookie = sessionCookieFrom(res)!;
			const token = cookie.slice(SESSION_COOKIE.length + 1);
			expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
			// Only the SHA-256 of the token is stored; the bcrypt hash has cost 12.
			withDb((db) => {
				expect(db.prepare('SELECT COUNT(*) AS n FROM sessions WHERE token_hash = ?').get(hash(token))).toEqual({ n: 1 });
				const user = db.prepare('SELECT username, role, password_hash FROM users').get() as Record<string, string>;
				expect(user).toMatchObject({ username: ADMIN, role: 'admin' });
				expect(user.password_hash).toMatch(/^\$2b\$12\$/);
			});
		});

		it('the signed-in admin sees the dashboard', async () => {
			const res = await get(spyre.url, '/', cookie);
			expect(res.status).toBe(200);
			expect(await res.text()).toContain('Dashboard');
		});

		it('/setup is 404 afterwards, for GET and POST, signed in or not; no second admin', async () => {
			for (const c of [undefined, cookie]) {
				const res = await get(spyre.url, '/setup', c);
				expect(res.status).toBe(404);
				expect(await res.text()).not.toMatch(STACK);
			}
			const res = await postForm(spyre.url, '/setup', { username: 'second', password: PASSWORD, confirm: PASSWORD });
			expect(res.status).toBe(404);
			expect(withDb((db) => db.prepare('SELECT COUNT(*) AS n FROM users').get())).toEqual({ n: 1 });
		});
	});

	describe('errors', () => {
		it('a page that does not exist is a plain 404: no error id, nothing logged', async () => {
			const before = spyre.output().stderr.length;
			const res = await get(spyre.url, '/no-such-page', cookie);
			expect(res.status).toBe(404);
			const html = await res.text();
			expect(html).toContain('This page does not exist');
			expect(html).not.toMatch(/errorId|Error id/);
			const api = await get(spyre.url, '/api/no-such-route', cookie);
			expect(api.status).toBe(404);
			expect(await api.text()).not.toMatch(/error id/i);
			expect(spyre.output().stderr.slice(before)).not.toMatch(/\[spyre\] error /);
		});
	});

	describe('the auth gate', () => {
		it.each([
			['/', '/login'],
			['/settings', '/login?next=%2Fsettings'],
			['/environments?x=1', '/login?next=%2Fenvironments%3Fx%3D1']
		])('unauthenticated %s redirects to %s', async (p, location) => {
			const res = await get(spyre.url, p);
			expect(res.status).toBe(303);
			expect(res.headers.get('location')).toBe(location);
		});

		it('/login itself is public', async () => {
			const res = await get(spyre.url, '/login');
			expect(res.status).toBe(200);
			expect(await res.text()).toContain('Sign in');
		});

		it('unauthenticated /api/* is 401 JSON', async () => {
			for (const p of ['/api/anything', '/api/events', '/api/environments/1']) {
				const res = await get(spyre.url, p);
				expect(res.status).toBe(401);
				expect(await res.json()).toEqual({ error: 'Sign in first.', code: 'unauthenticated' });
			}
		});

		it('a forged or malformed session cookie is treated as signed out, and cleared', async () => {
			for (const bad of [`${SESSION_COOKIE}=${crypto.randomBytes(32).toString('base64url')}`, `${SESSION_COOKIE}=%%%`, `${SESSION_COOKIE}=${'a'.repeat(5000)}`]) {
				const res = await get(spyre.url, '/', bad);
				expect(res.status).toBe(303);
				expect(res.headers.get('location')).toBe('/login');
				const api = await get(spyre.url, '/api/x', bad);
				expect(api.status).toBe(401);
			}
		});

		it('a signed-in user going to /login is sent on', async () => {
			const res = await get(spyre.url, '/login?next=/settings', cookie);
			expect(res.status).toBe(303);
			expect(res.headers.get('location')).toBe('/settings');
		});
	});

	describe('/api/events WebSocket', () => {
		it('no cookie: 401 at the upgrade', async () => {
			expect(await upgradeStatus(spyre.url, null)).toBe(401);
			expect(await upgradeStatus(spyre.url, null, { origin: null })).toBe(401);
		});

		it('a forged cookie: 401', async () => {
			const forged = `${SESSION_COOKIE}=${crypto.randomBytes(32).toString('base64url')}`;
			expect(await upgradeStatus(spyre.url, forged)).toBe(401);
			expect(await upgradeStatus(spyre.url, `${SESSION_COOKIE}=${hash('x')}`)).toBe(401);
			expect(await upgradeStatus(spyre.url, `${SESSION_COOKIE}=%E0%A4%A`)).toBe(401);
		});

		it('a bad Origin: 403, even with a good cookie', async () => {
			for (const origin of ['https://evil.example.com', 'null', `http://127.0.0.1:${spyre.port + 1}`, 'not a url']) {
				expect(await upgradeStatus(spyre.url, cookie, { origin })).toBe(403);
			}
		});

		it('the refusal body is plain text, no stack', async () => {
			const err = await openEvents(spyre.url, null).catch((e: { status: number; body: string }) => e);
			expect(err).toMatchObject({ status: 401, body: 'Unauthorized' });
		});

		it('an unknown socket path is dropped without an upgrade', async () => {
			await expect(openEvents(spyre.url, cookie, undefined, { path: '/api/nope' })).rejects.toThrow(/socket hang up|ECONNRESET|closed/i);
		});

		it('a good cookie and same-origin (or no Origin, like a script) opens and says hello', async () => {
			for (const origin of [undefined, null]) {
				const ev = await openEvents(spyre.url, cookie, undefined, { origin });
				const hello = await ev.waitFor((m) => m.type === 'hello');
				expect(hello).toEqual({ type: 'hello', seq: expect.any(Number) });
				ev.close();
				await ev.closed;
			}
		});

		it('a bad ?after is refused with an error message and close 4400', async () => {
			for (const after of ['-1', 'abc', '1.5', '99999999999999999999']) {
				const ev = await openEvents(spyre.url, cookie, after);
				const closed = await ev.closed;
				expect(closed.code).toBe(4400);
				expect(ev.messages[0]).toMatchObject({ type: 'error', code: 'bad_request' });
			}
		});

		it('replays exactly what was missed after a reconnect, in order, then hello', async () => {
			const first = await openEvents(spyre.url, cookie);
			const hello = await first.waitFor((m) => m.type === 'hello');
			first.close();
			await first.closed;

			// While "disconnected", events are stored (the replay reads the table, as publish() writes it).
			const seqs = withDb((db) => {
				const insert = db.prepare('INSERT INTO server_events (ts, type, payload) VALUES (?, ?, ?)');
				return [1, 2, 3, 4, 5].map((i) => Number(insert.run(Date.now(), 'test.replay', JSON.stringify({ i })).lastInsertRowid));
			});
			expect(seqs[0]).toBeGreaterThan(hello.seq!);

			const again = await openEvents(spyre.url, cookie, hello.seq);
			const end = await again.waitFor((m) => m.type === 'hello');
			expect(end.seq).toBe(seqs[4]);
			expect(again.messages.map((m) => [m.seq, m.type, m.data])).toEqual([...seqs.map((seq, i) => [seq, 'test.replay', { i: i + 1 }]), [seqs[4], 'hello', undefined]]);
			expect(again.messages[0]).toMatchObject({ ts: expect.any(Number) });
			again.close();

			// From the middle: only the later ones.
			const mid = await openEvents(spyre.url, cookie, seqs[2]);
			await mid.waitFor((m) => m.type === 'hello');
			expect(mid.messages.filter((m) => m.type !== 'hello').map((m) => m.seq)).toEqual([seqs[3], seqs[4]]);
			mid.close();

			// Without ?after: live only, nothing replayed.
			const fresh = await openEvents(spyre.url, cookie);
			await fresh.waitFor((m) => m.type === 'hello');
			expect(fresh.messages).toEqual([{ type: 'hello', seq: seqs[4] }]);
			fresh.close();
		});

		it('replays more than one batch (1200 events) without gaps', async () => {
			const before = withDb((db) => (db.prepare('SELECT MAX(seq) AS s FROM server_events').get() as { s: number }).s);
			withDb((db) => {
				const insert = db.prepare('INSERT INTO server_events (ts, type, payload) VALUES (?, ?, ?)');
				db.transaction(() => {
					for (let i = 0; i < 1200; i++) insert.run(Date.now(), 'test.bulk', String(i));
				})();
			});
			const ev = await openEvents(spyre.url, cookie, before);
			await ev.waitFor((m) => m.type === 'hello', 10_000);
			const got = ev.messages.filter((m) => m.type === 'test.bulk').map((m) => m.data);
			expect(got).toEqual(Array.from({ length: 1200 }, (_, i) => i));
			ev.close();
		});
	});

	describe('bad input', () => {
		it('an oversized form post (100 KB) to /login is a clear 413, no stack', async () => {
			const res = await postForm(spyre.url, '/login', { username: 'a'.repeat(100 * 1024), password: 'x' });
			expect(res.status).toBe(413);
			const html = await res.text();
			expect(alertText(html)).toBe('The form is too large.');
			expect(html).not.toMatch(STACK);
		});

		it('a 1 MB post is refused before the app reads it (413), no stack', async () => {
			const res = await postForm(spyre.url, '/login', { username: 'a'.repeat(1024 * 1024), password: 'x' });
			expect(res.status).toBe(413);
			expect(await res.text()).not.toMatch(STACK);
		});

		it('an oversized /setup post after setup is still just 404', async () => {
			const res = await postForm(spyre.url, '/setup', { username: 'a'.repeat(100 * 1024) });
			expect(res.status).toBe(404);
		});

		it('a malformed multipart form is a clear 400, no stack', async () => {
			const res = await fetch(`${spyre.url}/login`, {
				method: 'POST',
				redirect: 'manual',
				headers: { 'content-type': 'multipart/form-data; boundary=XYZ', origin: spyre.url, accept: 'text/html' },
				body: '--XYZ\r\nContent-Disposition: form-data; name="username"\r\n\r\nadmin\r\n--XY'
			});
			expect(res.status).toBe(400);
			const html = await res.text();
			expect(alertText(html)).toBe('The form could not be read. Reload the page and try again.');
			expect(html).not.toMatch(STACK);
		});

		it('a JSON body to a form action is refused (4xx), no stack', async () => {
			const res = await fetch(`${spyre.url}/login`, {
				method: 'POST',
				redirect: 'manual',
				headers: { 'content-type': 'application/json', origin: spyre.url, accept: 'text/html' },
				body: '{"username":"admin"'
			});
			expect(res.status).toBeGreaterThanOrEqual(400);
			expect(res.status).toBeLessThan(500);
			expect(await res.text()).not.toMatch(STACK);
		});

		it('missing fields are a 400 with a message', async () => {
			const res = await postForm(spyre.url, '/login', { username: ADMIN });
			expect(res.status).toBe(400);
			expect(alertText(await res.text())).toBe('Enter your username and password.');
		});
	});

	describe('sign in', () => {
		it('wrong password and unknown user get the same status and message', async () => {
			const wrong = await postForm(spyre.url, '/login', { username: ADMIN, password: 'not-the-password' });
			const unknown = await postForm(spyre.url, '/login', { username: 'nobody-here', password: 'not-the-password' });
			expect(wrong.status).toBe(400);
			expect(unknown.status).toBe(wrong.status);
			const [a, b] = [alertText(await wrong.text()), alertText(await unknown.text())];
			expect(a).toBe('Wrong username or password.');
			expect(b).toBe(a);
			expect(sessionCookieFrom(wrong)).toBeNull();
		});

		it('per user: after 5 failures even the right password is refused with 429', async () => {
			// A second user straight in the DB (cheap hash), so the admin stays usable.
			withDb((db) => db.prepare("INSERT INTO users (username, password_hash, role, created_at) VALUES ('bob', ?, 'member', ?)").run(bcrypt.hashSync('bob-password-1', 4), Date.now()));
			expect((await login(spyre.url, 'bob', 'bob-password-1')).split('=')[0]).toBe(SESSION_COOKIE);
			for (let i = 0; i < 5; i++) {
				const res = await postForm(spyre.url, '/login', { username: 'bob', password: `wrong-${i}` });
				expect(res.status).toBe(400);
			}
			const res = await postForm(spyre.url, '/login', { username: 'BOB', password: 'bob-password-1' });
			expect(res.status).toBe(429);
			expect(alertText(await res.text())).toMatch(/^Too many failed sign-ins\. Try again in 15 minutes\.$/);
			expect(sessionCookieFrom(res)).toBeNull();
		});

		it('per IP: 30 failures from one address block it, other addresses still sign in', async () => {
			const from = '127.0.0.2';
			const attempts = [];
			// In batches that fit the concurrent password-check cap (a bigger burst is refused as busy).
			for (let b = 0; b < 3; b++) {
				attempts.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => postFormFrom(from, spyre.url, '/login', { username: `spray-${b}-${i}`, password: 'x' })))));
			}
			expect(attempts.map((a) => a.status)).toEqual(Array(30).fill(400));
			const blocked = await postFormFrom(from, spyre.url, '/login', { username: ADMIN, password: PASSWORD });
			expect(blocked.status).toBe(429);
			expect(alertText(blocked.body)).toMatch(/^Too many failed sign-ins/);
			// 127.0.0.1 is a different client.
			expect((await login(spyre.url, ADMIN, PASSWORD)).split('=')[0]).toBe(SESSION_COOKIE);
		});

		it('a successful login sets the cookie and honours a safe ?next=, refusing //evil.com', async () => {
			let res = await postForm(spyre.url, '/login?next=%2Fsettings', { username: ADMIN, password: PASSWORD });
			expect(res.status).toBe(303);
			expect(res.headers.get('location')).toBe('/settings');
			expect(sessionSetCookie(res)).toMatch(/HttpOnly/i);
			for (const next of ['//evil.com', '/\\evil.com', 'https://evil.com', 'javascript:alert(1)']) {
				res = await postForm(spyre.url, `/login?next=${encodeURIComponent(next)}`, { username: ADMIN, password: PASSWORD });
				expect(res.status).toBe(303);
				expect(res.headers.get('location')).toBe('/');
			}
		});
	});

	describe('sign out', () => {
		it('POST /logout deletes the session: the old cookie no longer works anywhere', async () => {
			const session = await login(spyre.url, ADMIN, PASSWORD);
			const ev = await openEvents(spyre.url, session);
			await ev.waitFor((m) => m.type === 'hello');
			ev.close();

			const res = await postForm(spyre.url, '/logout', {}, { cookie: session });
			expect(res.status).toBe(303);
			expect(res.headers.get('location')).toBe('/login');
			expect(sessionSetCookie(res)).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i);
			const token = session.slice(SESSION_COOKIE.length + 1);
			expect(withDb((db) => db.prepare('SELECT COUNT(*) AS n FROM sessions WHERE token_hash = ?').get(hash(token)))).toEqual({ n: 0 });

			const page = await get(spyre.url, '/', session);
			expect(page.status).toBe(303);
			expect(page.headers.get('location')).toBe('/login');
			expect((await get(spyre.url, '/api/x', session)).status).toBe(401);
			expect(await upgradeStatus(spyre.url, session)).toBe(401);
		});

		it('a cross-site logout post is refused', async () => {
			const session = await login(spyre.url, ADMIN, PASSWORD);
			const res = await postForm(spyre.url, '/logout', {}, { cookie: session, origin: 'https://evil.example.com' });
			expect(res.status).toBe(403);
			expect((await get(spyre.url, '/', session)).status).toBe(200);
		});
	});

	describe('records', () => {
		it('audit rows exist for setup, login success, login failure, rate-limited login and logout', () => {
			const rows = withDb((db) => db.prepare('SELECT action, outcome, username, target, ip, detail FROM audit_log ORDER BY id').all()) as Array<Record<string, string | null>>;
			const has = (action: string, outcome: string, username?: string) => rows.some((r) => r.action === action && r.outcome === outcome && (username === undefined || r.username === username));
			expect(has('auth.setup', 'success', ADMIN)).toBe(true);
			expect(has('auth.login', 'success', ADMIN)).toBe(true);
			expect(has('auth.login', 'failure', ADMIN)).toBe(true);
			expect(has('auth.login', 'failure', 'nobody-here')).toBe(true);
			expect(has('auth.login', 'denied', 'BOB')).toBe(true);
			expect(has('auth.logout', 'success', ADMIN)).toBe(true);
			expect(rows.every((r) => r.ip)).toBe(true);
			// Never a password or token in the log.
			const all = JSON.stringify(rows);
			expect(all).not.toContain(PASSWORD);
			expect(all).not.toContain('bob-password-1');
			expect(all).not.toContain(cookie.slice(SESSION_COOKIE.length + 1));
		});

		it('the session token itself is nowhere in the database files', () => {
			const token = cookie.slice(SESSION_COOKIE.length + 1);
			for (const f of [dbPath, `${dbPath}-wal`]) {
				if (fs.existsSync(f)) expect(fs.readFileSync(f).includes(Buffer.from(token))).toBe(false);
			}
		});
	});

	describe('shutdown', () => {
		it('SIGTERM with an open events socket: client sees 1001, exit 0 within 5 s, DB intact', async () => {
			const ev = await openEvents(spyre.url, cookie);
			await ev.waitFor((m) => m.type === 'hello');
			let integrity: unknown;
			let walLeft = false;
			const result = await spyre.stop({
				beforeCleanup: (dir) => {
					const file = path.join(dir, 'spyre.db');
					walLeft = fs.existsSync(`${file}-wal`) && fs.statSync(`${file}-wal`).size > 0;
					const db = new Database(file);
					try {
						integrity = db.pragma('integrity_check', { simple: true });
						expect(db.prepare('SELECT COUNT(*) AS n FROM users').get()).toEqual({ n: 2 });
					} finally {
						db.close();
					}
				}
			});
			const closed = await ev.closed;
			expect(closed.code).toBe(1001);
			expect(result.signal).toBeNull();
			expect(result.code).toBe(0);
			expect(result.durationMs).toBeLessThan(5000);
			expect(result.stdout).toContain('spyre: stopped');
			// Every background service started and stopped (background/registry.ts names any that failed).
			expect(result.stderr).not.toMatch(/\[spyre\] (starting|stopping) .* failed/);
			expect(integrity).toBe('ok');
			// A clean close checkpoints and removes the WAL.
			expect(walLeft).toBe(false);
			expect(fs.existsSync(spyre.dataDir)).toBe(false);
		});
	});
});

describe('Secure cookie when the public URL is https', () => {
	it('sets the __Host- session cookie there too', async () => {
		const spyre = await startSpyre({ config: { server: { public_url: 'https://spyre.example.test' } } });
		try {
			// Not loopback: requests must name the public host (as Caddy forwards them), and /setup needs
			// the one-time code from the log.
			const code = /setup code ([A-Z0-9-]+)/.exec(spyre.output().stdout)?.[1] ?? '';
			const body = new URLSearchParams({ username: ADMIN, password: PASSWORD, confirm: PASSWORD, code }).toString();
			// fetch cannot set Host; a plain request can.
			const setCookie = await new Promise<string>((resolve, reject) => {
				const req = http.request(
					{
						host: '127.0.0.1',
						port: spyre.port,
						path: '/setup',
						method: 'POST',
						headers: {
							host: 'spyre.example.test',
							// Plain http here (no Caddy adding X-Forwarded-Proto), so the browser's origin is http.
							origin: 'http://spyre.example.test',
							accept: 'text/html',
							'content-type': 'application/x-www-form-urlencoded',
							'content-length': Buffer.byteLength(body)
						}
					},
					(res) => {
						res.resume();
						expect(res.statusCode).toBe(303);
						resolve((res.headers['set-cookie'] ?? []).find((h) => h.startsWith(`${SESSION_COOKIE}=`)) ?? '');
					}
				);
				req.on('error', reject);
				req.end(body);
			});
			expect(setCookie).toMatch(/;\s*Secure/i);
			expect(setCookie).toMatch(/;\s*HttpOnly/i);
			// A request addressed to another name is not answered (DNS rebinding).
			expect((await get(spyre.url, '/login')).status).toBe(421);
		} finally {
			await spyre.stop();
		}
	});
});

describe('start-up failures (exit 1, a clear message, no stack)', () => {
	function expectClean(r: StopResult) {
		expect(r.code).toBe(1);
		expect(r.stderr).not.toMatch(STACK);
		expect(r.stdout).not.toContain('listening');
	}

	it('a missing config: one line that mentions ./setup.sh', async () => {
		const r = await runUntilExit('/nonexistent/spyre/environment.yaml');
		expectClean(r);
		const lines = r.stderr.trim().split('\n');
		expect(lines).toHaveLength(1);
		expect(lines[0]).toMatch(/^spyre: .*\/nonexistent\/spyre\/environment\.yaml.*\.\/setup\.sh/);
	});

	it('an invalid config lists every problem with its key path', async () => {
		const data = await makeDataDir({
			config: {
				server: { data_dir: 'relative/dir' },
				proxmox: { url: 'http://pve.example.com:8006', tls: { fingerprint: 'AB:CD' } },
				ssh: { port: 'twenty-two' },
				also_unknown: true
			}
		});
		try {
			const r = await runUntilExit(data.configPath);
			expectClean(r);
			for (const problem of [
				'server.data_dir: must be an absolute path',
				'proxmox.url: must be an https URL',
				'proxmox.tls.fingerprint: must be a SHA-256 fingerprint',
				'ssh.port: must be a number, got a string'
			]) {
				expect(r.stderr).toContain(problem);
			}
			expect(r.stderr).toContain('has 4 problems');
			expect(r.stderr).toContain(data.configPath);
		} finally {
			data.remove();
		}
	});

	it('malformed YAML', async () => {
		const data = await makeDataDir({ configText: 'server: {\n  port: [1,\n' });
		try {
			const r = await runUntilExit(data.configPath);
			expectClean(r);
			expect(r.stderr).toContain('is not valid YAML');
		} finally {
			data.remove();
		}
	});

	it('a bad PORT stops start-up naming PORT (it overrides server.port in the config, nowhere else)', async () => {
		const data = await makeDataDir({});
		try {
			const r = await runUntilExit(data.configPath, { env: { PORT: '30x0' } });
			expectClean(r);
			expect(r.stderr).toContain('PORT (environment variable, overrides server.port): must be a port number');
		} finally {
			data.remove();
		}
	});

	it('an unreadable SSH key and a token secret file that is a directory', async () => {
		const data = await makeDataDir({});
		try {
			const data2 = await makeDataDir({
				config: {
					ssh: { private_key_path: path.join(data.dataDir, 'no-such-key') },
					proxmox: { token_secret: null, token_secret_file: data.dataDir }
				}
			});
			try {
				const r = await runUntilExit(data2.configPath);
				expectClean(r);
				expect(r.stderr).toContain(`ssh.private_key_path: cannot read ${path.join(data.dataDir, 'no-such-key')} (ENOENT)`);
				expect(r.stderr).toContain(`proxmox.token_secret_file: cannot read ${data.dataDir} (EISDIR)`);
			} finally {
				data2.remove();
			}
		} finally {
			data.remove();
		}
	});

	it('a database path that cannot be written names database.path, and creates nothing', async () => {
		const data = await makeDataDir({});
		try {
			const blocker = path.join(data.dataDir, 'blocker');
			fs.writeFileSync(blocker, '');
			fs.writeFileSync(data.configPath, fs.readFileSync(data.configPath, 'utf8') + `database:\n  path: ${blocker}/spyre.db\n`);
			const r = await runUntilExit(data.configPath);
			expectClean(r);
			expect(r.stderr).toMatch(/database\.path: cannot open .*blocker\/spyre\.db for writing/);
			expect(fs.readFileSync(blocker, 'utf8')).toBe('');
			expect(fs.existsSync(path.join(data.dataDir, 'spyre.db'))).toBe(false);
		} finally {
			data.remove();
		}
	});
});
