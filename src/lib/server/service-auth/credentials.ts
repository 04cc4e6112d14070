// Service credentials: the one-time handshake codes (in memory, 60 s, bound to one service host and one
// Spyre session) and the credentials they are swapped for (a random token in a host-only cookie on the
// service host; only its SHA-256 is stored, migration 007). A credential is good only on the host it was
// issued for, while its Spyre session and its environment exist, and until it expires. Never logs or
// returns a code or a token to anyone but the browser it was issued to.

import crypto from 'node:crypto';
import { SESSION_MAX_AGE_MS, hashToken } from '../auth';
import { getDb, type Db } from '../db';
import { onSessionsEnded } from '../auth/session-bus';
import { singleton } from '../singleton';

export const CODE_TTL_MS = 60_000;
/** Short-lived: a day's work at most, never beyond the session it came from. */
export const CREDENTIAL_TTL_MS = 8 * 60 * 60 * 1000;

export interface ServiceRef {
	environmentId: string;
	service: string;
	/** The service host (no port) the code and the credential are bound to. */
	host: string;
}

interface PendingCode extends ServiceRef {
	sessionHash: string;
	userId: number;
	username: string;
	target: string;
	expiresAt: number;
}

const codes = singleton('service-auth.codes', () => new Map<string, PendingCode>());

function sweep(now: number): void {
	for (const [k, c] of codes) if (c.expiresAt <= now) codes.delete(k);
}

/** A one-time code for the signed-in owner (`sessionHash`) to open `ref` at `target`. */
export function issueCode(ref: ServiceRef, owner: { sessionHash: string; userId: number; username: string }, target: string): string {
	const now = Date.now();
	sweep(now);
	const code = crypto.randomBytes(32).toString('base64url');
	codes.set(hashToken(code), { ...ref, ...owner, target, expiresAt: now + CODE_TTL_MS });
	return code;
}

export interface Redeemed extends ServiceRef {
	token: string;
	expiresAt: number;
	userId: number;
	username: string;
	target: string;
}

/**
 * Swap a code for a credential, once, on the host it was issued for. Null when the code is unknown, used,
 * expired, meant for another host, or its session has ended meanwhile.
 */
export function redeemCode(code: string | null, host: string, db: Db = getDb()): Redeemed | null {
	if (!code || code.length > 100) return null;
	const key = hashToken(code);
	const pending = codes.get(key);
	codes.delete(key);
	const now = Date.now();
	if (!pending || pending.expiresAt <= now || pending.host !== host) return null;
	const session = db.prepare('SELECT expires_at AS expiresAt FROM sessions WHERE token_hash = ? AND expires_at > ?').get(pending.sessionHash, now) as { expiresAt: number } | undefined;
	if (!session) return null;
	const token = crypto.randomBytes(32).toString('base64url');
	const expiresAt = Math.min(now + CREDENTIAL_TTL_MS, session.expiresAt);
	db.prepare(
		`INSERT INTO service_credentials (token_hash, session_hash, user_id, environment_id, service, host, created_at, expires_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	).run(hashToken(token), pending.sessionHash, pending.userId, pending.environmentId, pending.service, host, now, expiresAt);
	return { environmentId: pending.environmentId, service: pending.service, host, token, expiresAt, userId: pending.userId, username: pending.username, target: pending.target };
}

/** The owner a credential stands for, when it is good for `ref` right now; else null. */
export function checkCredential(token: string | null | undefined, ref: ServiceRef, db: Db = getDb()): { username: string } | null {
	if (!token || token.length > 100 || !/^[A-Za-z0-9_-]+$/.test(token)) return null;
	const now = Date.now();
	const row = db
		.prepare(
			`SELECT u.username FROM service_credentials c
			 JOIN sessions s ON s.token_hash = c.session_hash AND s.expires_at > ? AND s.created_at > ?
			 JOIN users u ON u.id = c.user_id
			 WHERE c.token_hash = ? AND c.host = ? AND c.environment_id = ? AND c.service = ? AND c.expires_at > ?`
		)
		.get(now, now - SESSION_MAX_AGE_MS, hashToken(token), ref.host, ref.environmentId, ref.service, now) as { username: string } | undefined;
	return row ?? null;
}

export function revokeForSessions(sessionHashes: readonly string[], db: Db = getDb()): void {
	const del = db.prepare('DELETE FROM service_credentials WHERE session_hash = ?');
	db.transaction(() => sessionHashes.forEach((h) => del.run(h)))();
	for (const [k, c] of codes) if (sessionHashes.includes(c.sessionHash)) codes.delete(k);
}

export function revokeForEnvironment(environmentId: string, db: Db = getDb()): void {
	db.prepare('DELETE FROM service_credentials WHERE environment_id = ?').run(environmentId);
	for (const [k, c] of codes) if (c.environmentId === environmentId) codes.delete(k);
}

/** One service of an environment stops being served (a port unshared): its credentials and codes go. */
export function revokeForService(environmentId: string, service: string, db: Db = getDb()): void {
	db.prepare('DELETE FROM service_credentials WHERE environment_id = ? AND service = ?').run(environmentId, service);
	for (const [k, c] of codes) if (c.environmentId === environmentId && c.service === service) codes.delete(k);
}

export function purgeExpiredCredentials(db: Db = getDb()): number {
	return db.prepare('DELETE FROM service_credentials WHERE expires_at <= ?').run(Date.now()).changes;
}

/** Start-up: a session that ends (sign-out, sign out everywhere, password change, expiry) takes its service credentials along. */
export function startCredentialRevocation(db?: Db): () => void {
	return onSessionsEnded((hashes) => revokeForSessions(hashes, db ?? getDb()));
}
