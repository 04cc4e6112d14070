// Users, passwords and sessions. Passwords: bcrypt (cost 12). Sessions: a random 32-byte token in the
// browser's cookie; only its SHA-256 is stored, with a sliding expiry. Never logs or returns a token hash
// or password to a caller outside the server.

import bcrypt from 'bcrypt';
import crypto from 'node:crypto';
import { getDb, type Db } from './db';
import { SpyreError } from './errors';
import { FailureLimiter } from './rate-limit';
import { singleton } from './singleton';

export const SESSION_COOKIE = 'spyre_session';
export const SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** Sliding expiry is written at most this often per session, to keep page loads read-only. */
const SESSION_TOUCH_MS = 60 * 1000;
export const BCRYPT_COST = 12;

export interface SessionUser {
	id: number;
	username: string;
	role: 'admin' | 'member';
}

export const USERNAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/;
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 72; // bcrypt ignores bytes past 72

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
	const errors: Record<string, string> = {};
	if (!USERNAME_RE.test(username)) {
		errors.username = 'Use 1–64 letters, digits, dots, dashes or underscores, starting with a letter or digit.';
	}
	if (password.length < PASSWORD_MIN) errors.password = `Use at least ${PASSWORD_MIN} characters.`;
	else if (Buffer.byteLength(password) > PASSWORD_MAX) errors.password = `Use at most ${PASSWORD_MAX} bytes.`;
	if (!errors.password && password !== confirm) errors.confirm = 'The two passwords differ.';
	return errors;
}

/** Create the single admin account. Only allowed while there are no users (first boot). */
export async function createFirstAdmin(username: string, password: string, db: Db = getDb()): Promise<SessionUser> {
	const hash = await bcrypt.hash(password, BCRYPT_COST);
	// The count check and insert run in one immediate transaction so two racing setups cannot both win.
	const insert = db.transaction(() => {
		if (userCount(db) > 0) throw new SpyreError('conflict', 'Spyre is already set up. Sign in instead.');
		const info = db
			.prepare("INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, 'admin', ?)")
			.run(username, hash, Date.now());
		return Number(info.lastInsertRowid);
	});
	const id = insert.immediate();
	return { id, username, role: 'admin' };
}

// A real hash of a random password: comparing against it costs the same as a real user's, so timing
// does not reveal whether a username exists.
const dummyHash = singleton('auth.dummyHash', () =>
	bcrypt.hashSync(crypto.randomBytes(16).toString('hex'), BCRYPT_COST)
);

const limiters = singleton('auth.limiters', () => ({
	ip: new FailureLimiter({ max: 20, windowMs: 15 * 60 * 1000 }),
	user: new FailureLimiter({ max: 5, windowMs: 15 * 60 * 1000 })
}));

export type LoginResult =
	| { ok: true; user: SessionUser }
	| { ok: false; reason: 'invalid' }
	| { ok: false; reason: 'rate_limited'; retryAfterMs: number };

export async function verifyLogin(username: string, password: string, ip: string, db: Db = getDb()): Promise<LoginResult> {
	const userKey = username.toLowerCase();
	const wait = Math.max(limiters.ip.retryAfter(ip), limiters.user.retryAfter(userKey));
	if (wait > 0) return { ok: false, reason: 'rate_limited', retryAfterMs: wait };

	const row = db
		.prepare('SELECT id, username, role, password_hash FROM users WHERE username = ?')
		.get(username) as (SessionUser & { password_hash: string }) | undefined;
	const candidate = Buffer.byteLength(password) <= 1024 ? password : '';
	const match = await bcrypt.compare(candidate, row?.password_hash ?? dummyHash);
	if (!row || !match) {
		limiters.ip.fail(ip);
		limiters.user.fail(userKey);
		return { ok: false, reason: 'invalid' };
	}
	limiters.user.reset(userKey);
	db.prepare('UPDATE users SET last_login_at = ? WHERE id = ?').run(Date.now(), row.id);
	return { ok: true, user: { id: row.id, username: row.username, role: row.role } };
}

/** Start a session; returns the raw token for the cookie (the DB keeps only its hash). */
export function createSession(userId: number, meta: { ip?: string; userAgent?: string } = {}, db: Db = getDb()): { token: string; expiresAt: number } {
	const token = newSessionToken();
	const now = Date.now();
	const expiresAt = now + SESSION_TTL_MS;
	db.prepare(
		`INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent)
		 VALUES (?, ?, ?, ?, ?, ?, ?)`
	).run(hashToken(token), userId, now, now, expiresAt, meta.ip ?? null, meta.userAgent?.slice(0, 300) ?? null);
	return { token, expiresAt };
}

/**
 * Look up a session by raw token. Expired sessions are deleted. Extends the expiry (sliding) when it was
 * last touched more than a minute ago; `renewed` tells the caller to re-send the cookie.
 */
export function validateSession(
	token: string | undefined | null,
	db: Db = getDb()
): { user: SessionUser; tokenHash: string; expiresAt: number; renewed: boolean } | null {
	if (!token || token.length > 100 || !/^[A-Za-z0-9_-]+$/.test(token)) return null;
	const tokenHash = hashToken(token);
	const row = db
		.prepare(
			`SELECT s.expires_at AS expiresAt, s.last_seen_at AS lastSeenAt, u.id, u.username, u.role
			 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`
		)
		.get(tokenHash) as (SessionUser & { expiresAt: number; lastSeenAt: number }) | undefined;
	if (!row) return null;
	const now = Date.now();
	if (row.expiresAt <= now) {
		db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash);
		return null;
	}
	let expiresAt = row.expiresAt;
	let renewed = false;
	if (now - row.lastSeenAt > SESSION_TOUCH_MS) {
		expiresAt = now + SESSION_TTL_MS;
		db.prepare('UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE token_hash = ?').run(now, expiresAt, tokenHash);
		renewed = true;
	}
	return { user: { id: row.id, username: row.username, role: row.role }, tokenHash, expiresAt, renewed };
}

export function deleteSession(tokenHash: string, db: Db = getDb()): void {
	db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash);
}

export function purgeExpiredSessions(db: Db = getDb()): number {
	return db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(Date.now()).changes;
}

/** Parse one cookie out of a raw Cookie header (used at WebSocket upgrade, outside SvelteKit). */
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

export function cookieOptions(secure: boolean, expiresAt: number) {
	return {
		path: '/',
		httpOnly: true,
		sameSite: 'lax' as const,
		secure,
		expires: new Date(expiresAt)
	};
}
