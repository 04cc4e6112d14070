// Append-only record of every mutating action: who, what, target, outcome, client IP, when.
// The table's triggers refuse UPDATE and DELETE; this module only inserts and reads.

import { getDb, type Db } from '../db';

export type AuditOutcome = 'success' | 'failure' | 'denied';

export interface AuditActor {
	userId?: number | null;
	username?: string | null;
	ip?: string | null;
}

/** Spyre itself, for what it does on its own (a restart's reconcile, an idle stop, a schedule). */
export const SYSTEM_ACTOR: AuditActor = Object.freeze({ username: 'spyre', ip: null });

export interface AuditEntry {
	id: number;
	ts: number;
	userId: number | null;
	username: string | null;
	action: string;
	target: string | null;
	outcome: AuditOutcome;
	ip: string | null;
	detail: string | null;
}

/** Record one action. `detail` is a short human sentence: never a secret, never a token. */
export function record(actor: AuditActor, action: string, target: string | null, outcome: AuditOutcome, detail?: string | null, db: Db = getDb()): void {
	db.prepare(
		`INSERT INTO audit_log (ts, user_id, username, action, target, outcome, ip, detail)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	).run(Date.now(), actor.userId ?? null, actor.username ?? null, action, target, outcome, actor.ip ?? null, detail ? detail.slice(0, 2000) : null);
}

export function recent(limit = 100, db: Db = getDb()): AuditEntry[] {
	return db
		.prepare(
			`SELECT id, ts, user_id AS userId, username, action, target, outcome, ip, detail
			 FROM audit_log ORDER BY id DESC LIMIT ?`
		)
		.all(Math.min(Math.max(limit, 1), 1000)) as AuditEntry[];
}

/** Run `work` and record its outcome: success (with `detail` of the result) or failure (the error's message). */
export async function audited<T>(actor: AuditActor, action: string, target: string | null, work: () => Promise<T>, detail?: (result: T) => string): Promise<T> {
	try {
		const result = await work();
		record(actor, action, target, 'success', detail?.(result));
		return result;
	} catch (err) {
		record(actor, action, target, 'failure', err instanceof Error ? err.message : String(err));
		throw err;
	}
}
