import bcrypt from 'bcrypt';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
	BCRYPT_COST,
	SESSION_MAX_AGE_MS,
	SESSION_TTL_MS,
	changePassword,
	endUserSessions,
	isSessionActive,
	createFirstAdmin,
	createSession,
	deleteSession,
	hashToken,
	newSessionToken,
	purgeExpiredSessions,
	userCount,
	validateNewAccount,
	validateSession,
	verifyLogin
} from './';
import { openDatabase, type Db } from '../db';
import { SpyreError } from '../errors';
import { onSessionsEnded } from './session-bus';

// bcrypt at cost 12 takes ~0.2 s per hash; the rate-limit tests run many in parallel on the thread pool.
vi.setConfig({ testTimeout: 30_000 });

const PASSWORD = 'correct horse battery';

let dir: string;
let db: Db;
let adminId: number;
/** verifyLogin's limiters are process-wide; unique keys keep tests independent. */
let counter = 0;
const uniq = (prefix: string) => `${prefix}${++counter}-${crypto.randomBytes(3).toString('hex')}`;
const uniqIp = () => `10.${counter % 250}.${++counter % 250}.${crypto.randomInt(1, 250)}`;

beforeAll(async () => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-auth-spec-'));
	db = openDatabase(path.join(dir, 'spyre.db'));
	adminId = (await createFirstAdmin('admin', PASSWORD, db)).id;
});

afterAll(() => {
	db.close();
	fs.rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
	vi.useRealTimers();
});

function sessionRows(): Array<Record<string, unknown>> {
	return db.prepare('SELECT * FROM sessions').all() as Array<Record<string, unknown>>;
}

/** Add a user directly with a cheap hash, for tests that need more than the one admin. */
function addUser(username: string, password: string): number {
	const hash = bcrypt.hashSync(password, 4);
	return Number(db.prepare("INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, 'member', ?)").run(username, hash, Date.now()).lastInsertRowid);
}

describe('session tokens', () => {
	it('are 32 random bytes, base64url, and never repeat', () => {
		const seen = new Set<string>();
		for (let i = 0; i < 500; i++) {
			const t = newSessionToken();
			expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
			expect(Buffer.from(t, 'base64url')).toHaveLength(32);
			seen.add(t);
		}
		expect(seen.size).toBe(500);
	});

	it('hashToken is the SHA-256 hex of the token', () => {
		expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
	});

	it('only the SHA-256 hex of the token is stored', () => {
		const { token, expiresAt } = createSession(adminId, { ip: '192.0.2.1', userAgent: 'ua/1.0' }, db);
		const row = db.prepare('SELECT * FROM sessions WHERE token_hash = ?').get(hashToken(token)) as Record<string, unknown>;
		expect(row).toBeDefined();
		expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
		expect(row.expires_at).toBe(expiresAt);
		expect(row.ip).toBe('192.0.2.1');
		expect(row.user_agent).toBe('ua/1.0');
		const everything = JSON.stringify(sessionRows());
		expect(everything).not.toContain(token);
		expect(everything).not.toContain(Buffer.from(token, 'base64url').toString('hex'));
	});

	it('a long user agent is truncated to 300 characters', () => {
		const { token } = createSession(adminId, { userAgent: 'x'.repeat(5000) }, db);
		const row = db.prepare('SELECT user_agent FROM sessions WHERE token_hash = ?').get(hashToken(token)) as { user_agent: string };
		expect(row.user_agent).toHaveLength(300);
	});
});

describe('validateSession', () => {
	it('returns the user for a fresh session', () => {
		const { token, expiresAt } = createSession(adminId, {}, db);
		const s = validateSession(token, db);
		expect(s).toEqual({ user: { id: adminId, username: 'admin', role: 'admin' }, tokenHash: hashToken(token), expiresAt, renewed: false });
	});

	it.each([
		['undefined', undefined],
		['null', null],
		['empty', ''],
		['unknown but well-formed', newSessionToken()],
		['with a space', 'abc def'],
		['with padding', 'abc='],
		['with a semicolon', 'abc;def'],
		['percent-encoded', '%41%42'],
		['too long', 'a'.repeat(101)],
		['unicode', 'tökén']
	])('rejects a token that is %s', (_what, token) => {
		expect(validateSession(token as string | null | undefined, db)).toBeNull();
	});

	it('a stored hash is not a token (hash of the hash does not match)', () => {
		const { token } = createSession(adminId, {}, db);
		expect(validateSession(hashToken(token), db)).toBeNull();
	});

	it('an expired session is refused and deleted', () => {
		const { token } = createSession(adminId, {}, db);
		db.prepare('UPDATE sessions SET expires_at = ? WHERE token_hash = ?').run(Date.now() - 1, hashToken(token));
		expect(validateSession(token, db)).toBeNull();
		expect(db.prepare('SELECT 1 FROM sessions WHERE token_hash = ?').get(hashToken(token))).toBeUndefined();
	});

	it('sliding expiry: unchanged within a minute, renewed after it', () => {
		vi.useFakeTimers({ toFake: ['Date'] });
		const t0 = new Date('2030-01-01T00:00:00Z').getTime();
		vi.setSystemTime(t0);
		const { token, expiresAt } = createSession(adminId, {}, db);
		expect(expiresAt).toBe(t0 + SESSION_TTL_MS);

		vi.setSystemTime(t0 + 59_000);
		const early = validateSession(token, db)!;
		expect(early.renewed).toBe(false);
		expect(early.expiresAt).toBe(t0 + SESSION_TTL_MS);

		vi.setSystemTime(t0 + 61_000);
		const later = validateSession(token, db)!;
		expect(later.renewed).toBe(true);
		expect(later.expiresAt).toBe(t0 + 61_000 + SESSION_TTL_MS);
		const row = db.prepare('SELECT last_seen_at, expires_at FROM sessions WHERE token_hash = ?').get(hashToken(token));
		expect(row).toEqual({ last_seen_at: t0 + 61_000, expires_at: t0 + 61_000 + SESSION_TTL_MS });

		// Right after a renewal, no write again for another minute.
		vi.setSystemTime(t0 + 90_000);
		expect(validateSession(token, db)!.renewed).toBe(false);

		// A session used within its TTL keeps living past its original expiry...
		vi.setSystemTime(t0 + SESSION_TTL_MS + 1000);
		expect(validateSession(token, db)).not.toBeNull();
		// ...and one left alone for a whole TTL dies.
		vi.setSystemTime(t0 + 2 * SESSION_TTL_MS + 10_000);
		expect(validateSession(token, db)).toBeNull();
	});

	it('deleteSession invalidates the token at once, and only that one', () => {
		const a = createSession(adminId, {}, db);
		const b = createSession(adminId, {}, db);
		deleteSession(hashToken(a.token), db);
		expect(validateSession(a.token, db)).toBeNull();
		expect(validateSession(b.token, db)).not.toBeNull();
	});

	it('purgeExpiredSessions removes only expired rows', () => {
		const live = createSession(adminId, {}, db);
		const dead = createSession(adminId, {}, db);
		db.prepare('UPDATE sessions SET expires_at = 1 WHERE token_hash = ?').run(hashToken(dead.token));
		expect(purgeExpiredSessions(db)).toBeGreaterThanOrEqual(1);
		expect(db.prepare('SELECT 1 FROM sessions WHERE token_hash = ?').get(hashToken(dead.token))).toBeUndefined();
		expect(validateSession(live.token, db)).not.toBeNull();
	});

	it('sessions of a deleted user stop working', () => {
		const id = addUser(uniq('gone'), 'whatever-password');
		const { token } = createSession(id, {}, db);
		expect(validateSession(token, db)).not.toBeNull();
		db.prepare('DELETE FROM users WHERE id = ?').run(id);
		expect(validateSession(token, db)).toBeNull();
	});
});

describe('createFirstAdmin', () => {
	it('stored the password as bcrypt with cost >= 12, never in clear', () => {
		const row = db.prepare('SELECT password_hash, role FROM users WHERE id = ?').get(adminId) as { password_hash: string; role: string };
		expect(BCRYPT_COST).toBeGreaterThanOrEqual(12);
		expect(row.password_hash).toMatch(/^\$2b\$12\$[./A-Za-z0-9]{53}$/);
		expect(bcrypt.getRounds(row.password_hash)).toBeGreaterThanOrEqual(12);
		expect(row.password_hash).not.toContain(PASSWORD);
		expect(row.role).toBe('admin');
		expect(bcrypt.compareSync(PASSWORD, row.password_hash)).toBe(true);
	});

	it('refuses a second admin with a conflict', async () => {
		const before = userCount(db);
		const err = await createFirstAdmin('second', PASSWORD, db).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(SpyreError);
		expect((err as SpyreError).code).toBe('conflict');
		expect((err as SpyreError).status).toBe(409);
		expect(userCount(db)).toBe(before);
	});

	it('two racing setups on an empty database: exactly one wins', async () => {
		const other = openDatabase(path.join(dir, 'race.db'));
		try {
			const results = await Promise.allSettled([createFirstAdmin('one', PASSWORD, other), createFirstAdmin('two', PASSWORD, other), createFirstAdmin('three', PASSWORD, other)]);
			expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
			expect(userCount(other)).toBe(1);
		} finally {
			other.close();
		}
	});
});

describe('validateNewAccount', () => {
	it.each<[string, string, string, string[]]>([
		['admin', 'long-enough-pw', 'long-enough-pw', []],
		['a', '0123456789', '0123456789', []],
		['', 'long-enough-pw', 'long-enough-pw', ['username']],
		['-dash', 'long-enough-pw', 'long-enough-pw', ['username']],
		['has space', 'long-enough-pw', 'long-enough-pw', ['username']],
		['x'.repeat(65), 'long-enough-pw', 'long-enough-pw', ['username']],
		['admin', 'short', 'short', ['password']],
		['admin', 'é'.repeat(40), 'é'.repeat(40), ['password']], // 80 bytes > bcrypt's 72
		['admin', 'long-enough-pw', 'different-pw!', ['confirm']],
		['bad name', 'short', 'other', ['username', 'password']]
	])('%j / %j / %j -> %j', (u, p, c, fields) => {
		expect(Object.keys(validateNewAccount(u, p, c)).sort()).toEqual(fields.sort());
	});
});

describe('verifyLogin', () => {
	it('accepts the right password, case-insensitive username, and records last_login_at', async () => {
		const result = await verifyLogin('ADMIN', PASSWORD, uniqIp(), db);
		expect(result).toEqual({ ok: true, user: { id: adminId, username: 'admin', role: 'admin' } });
		const row = db.prepare('SELECT last_login_at FROM users WHERE id = ?').get(adminId) as { last_login_at: number };
		expect(Date.now() - row.last_login_at).toBeLessThan(5000);
	});

	it('wrong password and unknown user give the same result', async () => {
		const wrongPassword = await verifyLogin('admin', 'not the password', uniqIp(), db);
		const unknownUser = await verifyLogin(uniq('nobody'), 'not the password', uniqIp(), db);
		expect(wrongPassword).toEqual({ ok: false, reason: 'invalid' });
		expect(unknownUser).toEqual(wrongPassword);
	});

	it('an unknown user costs a real bcrypt compare (timing does not reveal existence)', async () => {
		const t0 = performance.now();
		await verifyLogin(uniq('ghost'), 'x', uniqIp(), db);
		const unknownMs = performance.now() - t0;
		const t1 = performance.now();
		await verifyLogin('admin', 'x', uniqIp(), db);
		const knownMs = performance.now() - t1;
		expect(unknownMs).toBeGreaterThan(knownMs / 4);
	});

	it('a huge password is just wrong, not an error', async () => {
		expect(await verifyLogin('admin', 'x'.repeat(100_000), uniqIp(), db)).toEqual({ ok: false, reason: 'invalid' });
	});

	/** Run attempts in batches that fit the password-check slots and queue, so none is refused as busy. */
	async function inBatches<T>(n: number, fn: (i: number) => Promise<T>): Promise<T[]> {
		const out: T[] = [];
		for (let i = 0; i < n; i += 10) out.push(...(await Promise.all(Array.from({ length: Math.min(10, n - i) }, (_, j) => fn(i + j)))));
		return out;
	}

	it('per (IP, user): 5 failures block that pair, even with the right password; the user elsewhere is not locked out', async () => {
		const name = uniq('victim');
		const password = 'victim-password-1';
		addUser(name, password);
		const ip = uniqIp();
		await Promise.all(Array.from({ length: 5 }, () => verifyLogin(name, 'wrong', ip, db)));
		const blocked = await verifyLogin(name, password, ip, db);
		expect(blocked).toMatchObject({ ok: false, reason: 'rate_limited' });
		if (blocked.ok || blocked.reason !== 'rate_limited') throw new Error('unreachable');
		expect(blocked.retryAfterMs).toBeGreaterThan(14 * 60 * 1000);
		expect(blocked.retryAfterMs).toBeLessThanOrEqual(15 * 60 * 1000);
		// The username part of the key is case-insensitive.
		expect(await verifyLogin(name.toUpperCase(), password, ip, db)).toMatchObject({ reason: 'rate_limited' });
		// The same user from another address, and another user from this one, are unaffected.
		expect(await verifyLogin(name, password, uniqIp(), db)).toMatchObject({ ok: true });
		expect(await verifyLogin('admin', PASSWORD, ip, db)).toMatchObject({ ok: true });
	});

	it('the attempt is counted before the compare: 40 parallel wrong passwords cost at most 5 bcrypt compares', async () => {
		const name = uniq('race');
		addUser(name, 'race-password-1');
		const ip = uniqIp();
		const spy = vi.spyOn(bcrypt, 'compare');
		try {
			const results = await Promise.all(Array.from({ length: 40 }, () => verifyLogin(name, 'wrong', ip, db)));
			expect(spy.mock.calls.length).toBeLessThanOrEqual(5);
			expect(results.filter((r) => !r.ok && r.reason === 'invalid').length).toBeLessThanOrEqual(5);
			expect(results.filter((r) => !r.ok && r.reason === 'rate_limited').length).toBeGreaterThanOrEqual(35);
		} finally {
			spy.mockRestore();
		}
	});

	it('concurrent password checks are capped: a burst past the slots and queue is refused as busy at once', async () => {
		const spy = vi.spyOn(bcrypt, 'compare');
		try {
			// 40 different addresses and users: no window limit applies, only the cap (4 running + 8 queued).
			const t0 = Date.now();
			const results = await Promise.all(Array.from({ length: 40 }, () => verifyLogin(uniq('burst'), 'wrong', uniqIp(), db)));
			const busy = results.filter((r) => !r.ok && r.reason === 'busy').length;
			expect(busy).toBe(28);
			expect(spy.mock.calls.length).toBe(12);
			expect(Date.now() - t0).toBeLessThan(20_000);
		} finally {
			spy.mockRestore();
		}
	});

	it('per user, globally: many addresses block unknown ones, but an address that signed in before still gets in', async () => {
		const name = uniq('global');
		const password = 'global-password-1';
		addUser(name, password);
		const home = uniqIp();
		expect(await verifyLogin(name, password, home, db)).toMatchObject({ ok: true });
		// 50 failures, one per address (each address stays far below its own limits).
		await inBatches(50, () => verifyLogin(name, 'wrong', uniqIp(), db));
		const stranger = await verifyLogin(name, password, uniqIp(), db);
		expect(stranger).toMatchObject({ ok: false, reason: 'rate_limited' });
		expect(await verifyLogin(name, password, home, db)).toMatchObject({ ok: true });
	});

	it('per (IP, user): the window slides (fake clock), and a success resets the count', async () => {
		vi.useFakeTimers({ toFake: ['Date'] });
		const t0 = new Date('2031-01-01T00:00:00Z').getTime();
		vi.setSystemTime(t0);
		const name = uniq('slide');
		const password = 'slide-password-1';
		addUser(name, password);
		const ip = uniqIp();
		for (let i = 0; i < 4; i++) await verifyLogin(name, 'wrong', ip, db);
		expect(await verifyLogin(name, password, ip, db)).toMatchObject({ ok: true });
		// Reset by the success: four more failures still do not block.
		for (let i = 0; i < 4; i++) await verifyLogin(name, 'wrong', ip, db);
		expect(await verifyLogin(name, 'wrong', ip, db)).toEqual({ ok: false, reason: 'invalid' });
		expect(await verifyLogin(name, password, ip, db)).toMatchObject({ reason: 'rate_limited' });
		vi.setSystemTime(t0 + 16 * 60 * 1000);
		expect(await verifyLogin(name, password, ip, db)).toMatchObject({ ok: true });
	});

	it('per IP: 30 failures across many usernames block that IP, not others', async () => {
		const ip = uniqIp();
		await inBatches(30, () => verifyLogin(uniq('spray'), 'wrong', ip, db));
		const blocked = await verifyLogin('admin', PASSWORD, ip, db);
		expect(blocked).toMatchObject({ ok: false, reason: 'rate_limited' });
		expect(await verifyLogin('admin', PASSWORD, uniqIp(), db)).toMatchObject({ ok: true });
	});

	it('rate-limited attempts do not compare passwords (cheap to refuse)', async () => {
		const ip = uniqIp();
		await inBatches(30, () => verifyLogin(uniq('spray'), 'wrong', ip, db));
		const spy = vi.spyOn(bcrypt, 'compare');
		try {
			await verifyLogin('admin', PASSWORD, ip, db);
			expect(spy).not.toHaveBeenCalled();
		} finally {
			spy.mockRestore();
		}
	});
});

describe('session lifetime and revocation', () => {
	it('a session ends 30 days after sign-in however active it is', () => {
		vi.useFakeTimers({ toFake: ['Date'] });
		const t0 = new Date('2032-01-01T00:00:00Z').getTime();
		vi.setSystemTime(t0);
		const { token } = createSession(adminId, {}, db);
		for (let day = 1; day < 30; day++) {
			vi.setSystemTime(t0 + day * 24 * 3600 * 1000);
			const s = validateSession(token, db);
			expect(s, `day ${day}`).not.toBeNull();
			expect(s!.expiresAt).toBeLessThanOrEqual(t0 + SESSION_MAX_AGE_MS);
		}
		vi.setSystemTime(t0 + SESSION_MAX_AGE_MS);
		expect(validateSession(token, db)).toBeNull();
	});

	it('ending sessions is announced with their hashes; endUserSessions keeps the one asked for', () => {
		const a = createSession(adminId, {}, db);
		const b = createSession(adminId, {}, db);
		const c = createSession(adminId, {}, db);
		const heard: string[] = [];
		const off = onSessionsEnded((h) => heard.push(...h));
		try {
			deleteSession(hashToken(a.token), db);
			expect(heard).toEqual([hashToken(a.token)]);
			endUserSessions(adminId, hashToken(c.token), db);
			expect(heard).toContain(hashToken(b.token));
			expect(heard).not.toContain(hashToken(c.token));
			expect(validateSession(b.token, db)).toBeNull();
			expect(validateSession(c.token, db)).not.toBeNull();
			expect(isSessionActive(hashToken(c.token), db)).toBe(true);
			expect(isSessionActive(hashToken(b.token), db)).toBe(false);
		} finally {
			off();
		}
	});

	it('changePassword checks the current password, ends other sessions, and the new password works', async () => {
		const name = uniq('changer');
		const id = addUser(name, 'old-password-1');
		const user = { id, username: name, role: 'admin' as const };
		const keep = createSession(id, {}, db);
		const other = createSession(id, {}, db);
		const ip = uniqIp();
		expect(await changePassword(user, { current: 'nope-nope-nope', password: 'new-password-1', confirm: 'new-password-1' }, ip, hashToken(keep.token), db)).toHaveProperty('current');
		expect(await changePassword(user, { current: 'old-password-1', password: 'short', confirm: 'short' }, ip, hashToken(keep.token), db)).toHaveProperty('password');
		expect(await changePassword(user, { current: 'old-password-1', password: 'new-password-1', confirm: 'new-password-1' }, ip, hashToken(keep.token), db)).toBeNull();
		expect(validateSession(other.token, db)).toBeNull();
		expect(validateSession(keep.token, db)).not.toBeNull();
		expect(await verifyLogin(name, 'new-password-1', uniqIp(), db)).toMatchObject({ ok: true });
		expect(await verifyLogin(name, 'old-password-1', uniqIp(), db)).toEqual({ ok: false, reason: 'invalid' });
	});
});

beforeEach(() => {
	// Each test starts from the real clock; individual tests opt into fake Date.
	vi.useRealTimers();
});
