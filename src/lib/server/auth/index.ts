// Users, passwords and sessions. Passwords: bcrypt (cost 12). Sessions: a random 32-byte token in the
// browser's cookie; only its SHA-256 is stored, with a sliding expiry (7 days) inside an absolute lifetime
// (30 days). Ending sessions is announced on the session bus so open sockets close too. Never logs or
// returns a token hash or password to a caller outside the server.

import bcrypt from 'bcrypt';
import crypto from 'node:crypto';
import { getDb, type Db } from '../db';
import { SpyreError } from '../errors';
import { LoginThrottle } from './login-throttle';
import { announceSessionsEnded } from './session-bus';
import { singleton } from '../singleton';
import { newAccountProblems, PASSWORD_INPUT_MAX } from '$lib/shared/validation/account';

export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** However active, a session ends this long after sign-in: a stolen cookie does not live forever. */
export const SESSION_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;
/** A successful sign-in from an address lets it pass the global per-user limit for this long. */
const KNOWN_IP_MS = 30 * 24 * 60 * 60 * 1000;
/** Sliding expiry is written at most this often per session, to keep page loads read-only. */
const SESSION_TOUCH_MS = 60 * 1000;
export const BCRYPT_COST = 12;

export interface SessionUser {
	id: number;
	username: string;
	role: 'admin' | 'member';
}

// The username and password rules are shared with the setup and account forms.
export { PASSWORD_MAX, PASSWORD_MIN, USERNAME_RE } from '$lib/shared/validation/account';

export function hashToken(token: string): string {
	return crypto.createHash('sha256').update(token).digest('hex');
}

export function newSessionToken(): string {
	return crypto.randomBytes(32).toString('base64url');
}

export function userCount(db: Db = getDb()): number {
	return (db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
}

// Once an account exists it never stops existing (there is no user deletion), so the gate that runs on
// every request remembers that instead of counting users each time.
const setupState = singleton('auth.setup', () => ({ done: false }));

/** Whether the first admin exists (first boot is over). */
export function isSetUp(db: Db = getDb()): boolean {
	if (!setupState.done && userCount(db) > 0) setupState.done = true;
	return setupState.done;
}

/** Field-level validation shared by /setup; returns field -> message. */
export function validateNewAccount(username: string, password: string, confirm: string): Record<string, string> {
	return newAccountProblems(username, password, confirm);
}

/** Create the single admin account. Only allowed while there are no users (first boot). */
export async function createFirstAdmin(username: string, password: string, db: Db = getDb()): Promise<SessionUser> {
	const hash = await bcrypt.hash(password, BCRYPT_COST);
	// The count check and insert run in one immediate transaction so two racing setups cannot both win.
	const insert = db.transaction(() => {
		if (userCount(db) > 0) throw new SpyreError('conflict', 'Spyre is already set up. Sign in instead.');
		const info = db.prepare("INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, 'admin', ?)").run(username, hash, Date.now());
		return Number(info.lastInsertRowid);
	});
	const id = insert.immediate();
	return { id, username, role: 'admin' };
}

// A real hash of a random password: comparing against it costs the same as a real user's, so timing
// does not reveal whether a username exists.
const dummyHash = singleton('auth.dummyHash', () => bcrypt.hashSync(crypto.randomBytes(16).toString('hex'), BCRYPT_COST));

const throttle = singleton('auth.throttle', () => new LoginThrottle());

export type LoginResult =
	| { ok: true; user: SessionUser }
	| { ok: false; reason: 'invalid' }
	/** Too many attempts for this address, account or pair; nothing was compared. */
	| { ok: false; reason: 'rate_limited'; retryAfterMs: number }
	/** Every password-check slot is taken; nothing was compared or counted. */
	| { ok: false; reason: 'busy' };

function knownIp(db: Db, userKey: string, ip: string): boolean {
	return (
		db
			.prepare(
				`SELECT 1 FROM login_known_ips k JOIN users u ON u.id = k.user_id
				 WHERE u.username = ? AND k.ip = ? AND k.last_success_at > ?`
			)
			.get(userKey, ip, Date.now() - KNOWN_IP_MS) !== undefined
	);
}

/** bcrypt compare through the concurrency cap; null when no slot is free. */
async function comparePassword(password: string, hash: string): Promise<boolean | null> {
	const release = await throttle.checks.tryAcquire();
	if (!release) return null;
	try {
		return await bcrypt.compare(Buffer.byteLength(password) <= PASSWORD_INPUT_MAX ? password : '', hash);
	} finally {
		release();
	}
}

export async function verifyLogin(username: string, password: string, ip: string, db: Db = getDb()): Promise<LoginResult> {
	const userKey = username.toLowerCase();
	// Counted before the compare: the decision and the count are one synchronous step.
	const admission = throttle.admit(ip, userKey, () => knownIp(db, userKey, ip));
	if (!admission.ok) return { ok: false, reason: 'rate_limited', retryAfterMs: admission.retryAfterMs };

	const row = db.prepare('SELECT id, username, role, password_hash FROM users WHERE username = ?').get(username) as (SessionUser & { password_hash: string }) | undefined;
	const match = await comparePassword(password, row?.password_hash ?? dummyHash);
	if (match === null) {
		throttle.unevaluated(admission.ticket);
		return { ok: false, reason: 'busy' };
	}
	if (!row || !match) return { ok: false, reason: 'invalid' };
	throttle.succeeded(admission.ticket);
	const now = Date.now();
	db.prepare('UPDATE users SET last_login_at = ? WHERE id = ?').run(now, row.id);
	db.prepare(
		`INSERT INTO login_known_ips (user_id, ip, last_success_at) VALUES (?, ?, ?)
		 ON CONFLICT (user_id, ip) DO UPDATE SET last_success_at = excluded.last_success_at`
	).run(row.id, ip, now);
	return { ok: true, user: { id: row.id, username: row.username, role: row.role } };
}

/**
 * Change a signed-in user's password after checking the current one (throttled like a sign-in). Every
 * other session of the user ends; the one making the change (`keepTokenHash`) stays signed in.
 * Returns field -> message on a problem, or null.
 */
export async function changePassword(
	user: SessionUser,
	input: { current: string; password: string; confirm: string },
	ip: string,
	keepTokenHash: string | null,
	db: Db = getDb()
): Promise<Record<string, string> | null> {
	const errors = validateNewAccount(user.username, input.password, input.confirm);
	delete errors.username;
	if (Object.keys(errors).length > 0) return errors;
	const check = await verifyLogin(user.username, input.current, ip, db);
	if (!check.ok) {
		if (check.reason === 'invalid') return { current: 'This is not your current password.' };
		return { current: 'Too many attempts. Try again later.' };
	}
	const hash = await bcrypt.hash(input.password, BCRYPT_COST);
	db.prepare('UPDATE users SET password_hash = ? WHERE id = ?').run(hash, user.id);
	endUserSessions(user.id, keepTokenHash, db);
	return null;
}

/** Start a session; returns the raw token for the cookie (the DB keeps only its hash). */
export function createSession(userId: number, meta: { ip?: string; userAgent?: string } = {}, db: Db = getDb()): { token: string; expiresAt: number } {
	const token = newSessionToken();
	const now = Date.now();
	const expiresAt = now + Math.min(SESSION_TTL_MS, SESSION_MAX_AGE_MS);
	db.prepare(
		`INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent)
		 VALUES (?, ?, ?, ?, ?, ?, ?)`
	).run(hashToken(token), userId, now, now, expiresAt, meta.ip ?? null, meta.userAgent?.slice(0, 300) ?? null);
	return { token, expiresAt };
}

/**
 * Look up a session by raw token. Expired sessions (idle past the sliding expiry, or older than the
 * absolute lifetime) are deleted. Extends the expiry (sliding, never past the absolute end) when it was
 * last touched more than a minute ago; `renewed` tells the caller to re-send the cookie.
 */
export function validateSession(token: string | undefined | null, db: Db = getDb()): { user: SessionUser; tokenHash: string; expiresAt: number; renewed: boolean } | null {
	if (!token || token.length > 100 || !/^[A-Za-z0-9_-]+$/.test(token)) return null;
	const tokenHash = hashToken(token);
	const row = db
		.prepare(
			`SELECT s.expires_at AS expiresAt, s.last_seen_at AS lastSeenAt, s.created_at AS createdAt, u.id, u.username, u.role
			 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`
		)
		.get(tokenHash) as (SessionUser & { expiresAt: number; lastSeenAt: number; createdAt: number }) | undefined;
	if (!row) return null;
	const now = Date.now();
	const absoluteEnd = row.createdAt + SESSION_MAX_AGE_MS;
	if (row.expiresAt <= now || absoluteEnd <= now) {
		deleteSession(tokenHash, db);
		return null;
	}
	let expiresAt = row.expiresAt;
	let renewed = false;
	if (now - row.lastSeenAt > SESSION_TOUCH_MS) {
		expiresAt = Math.min(now + SESSION_TTL_MS, absoluteEnd);
		db.prepare('UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE token_hash = ?').run(now, expiresAt, tokenHash);
		renewed = true;
	}
	return { user: { id: row.id, username: row.username, role: row.role }, tokenHash, expiresAt, renewed };
}

/** Whether a session still exists and has not expired; read-only (for open sockets' periodic check). */
export function isSessionActive(tokenHash: string, db: Db = getDb()): boolean {
	const now = Date.now();
	return db.prepare('SELECT 1 FROM sessions WHERE token_hash = ? AND expires_at > ? AND created_at > ?').get(tokenHash, now, now - SESSION_MAX_AGE_MS) !== undefined;
}

export function deleteSession(tokenHash: string, db: Db = getDb()): void {
	db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash);
	announceSessionsEnded([tokenHash]);
}

/** End every session of a user ("sign out everywhere"), except `keepTokenHash` if given. Returns how many. */
export function endUserSessions(userId: number, keepTokenHash: string | null = null, db: Db = getDb()): number {
	const hashes = db.transaction(() => {
		const rows = db.prepare('SELECT token_hash AS h FROM sessions WHERE user_id = ?').all(userId) as Array<{ h: string }>;
		const ending = rows.map((r) => r.h).filter((h) => h !== keepTokenHash);
		const del = db.prepare('DELETE FROM sessions WHERE token_hash = ?');
		for (const h of ending) del.run(h);
		return ending;
	})();
	announceSessionsEnded(hashes);
	return hashes.length;
}

export function purgeExpiredSessions(db: Db = getDb()): number {
	const now = Date.now();
	const rows = db.prepare('SELECT token_hash AS h FROM sessions WHERE expires_at <= ? OR created_at <= ?').all(now, now - SESSION_MAX_AGE_MS) as Array<{ h: string }>;
	const del = db.prepare('DELETE FROM sessions WHERE token_hash = ?');
	db.transaction(() => rows.forEach((r) => del.run(r.h)))();
	announceSessionsEnded(rows.map((r) => r.h));
	return rows.length;
}

// Cookie parsing lives with the cookie names (session-cookie.ts); re-exported for existing callers.
export { cookieFromHeader } from './session-cookie';
