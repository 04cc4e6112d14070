// The per-task broker tokens. A token is 32 random bytes handed to ONE task's CLI (ANTHROPIC_AUTH_TOKEN);
// Spyre stores only its SHA-256 on the task's row, and a token is valid only while that row is queued or
// running: the follower's completion of a task (ended, failed, cancelled, interrupted) is its revocation,
// and revoke() clears the hash too. After a restart nothing is in memory to forget; revokeEnded() clears
// the hashes of tasks that are no longer running. Never logs a token, never returns one except to
// issue() 's caller (the bridge, which writes it into the task's 0600 file).

import crypto from 'node:crypto';
import { getDb, type Db } from '../../db';

export const TOKEN_PREFIX = 'spyre-task-';
const TOKEN_RE = /^spyre-task-[A-Za-z0-9_-]{43}$/;

export const hashToken = (token: string) => crypto.createHash('sha256').update(token).digest('hex');

/** Issue a fresh token for a task (replacing any earlier one). */
export function issueToken(taskId: string, db: Db = getDb()): string {
	const token = TOKEN_PREFIX + crypto.randomBytes(32).toString('base64url');
	db.prepare('UPDATE claude_tasks SET broker_token_hash = ? WHERE id = ?').run(hashToken(token), taskId);
	return token;
}

export function revokeToken(taskId: string, db: Db = getDb()): void {
	db.prepare('UPDATE claude_tasks SET broker_token_hash = NULL WHERE id = ?').run(taskId);
}

/** At start-up: tokens of tasks that are not running are dead (they already fail lookup; this tidies). */
export function revokeEnded(db: Db = getDb()): number {
	return db.prepare(`UPDATE claude_tasks SET broker_token_hash = NULL WHERE broker_token_hash IS NOT NULL AND status NOT IN ('queued', 'running')`).run().changes;
}

export interface TokenHolder {
	taskId: string;
	environmentId: string;
	/** The environment's stored address: the only one the token is accepted from. */
	address: string | null;
	/** The task's resolved options (JSON), for its budget. */
	options: string;
}

/** The running task a token belongs to, or null (unknown, malformed, or its task is not running). */
export function lookupToken(token: string, db: Db = getDb()): TokenHolder | null {
	if (!TOKEN_RE.test(token)) return null;
	const row = db
		.prepare(
			`SELECT t.id AS taskId, t.environment_id AS environmentId, e.ip AS address, t.options AS options
			   FROM claude_tasks t JOIN environments e ON e.id = t.environment_id
			  WHERE t.broker_token_hash = ? AND t.status IN ('queued', 'running')`
		)
		.get(hashToken(token)) as TokenHolder | undefined;
	return row ?? null;
}
