// Audit records for failed and refused sign-ins, aggregated so that an unauthenticated flood cannot grow
// the append-only audit_log without bound. Per window (10 minutes) and key (IP, username, outcome): the
// first attempt becomes an audit row at once (an admin sees an attack start), the rest are counted in
// auth_failure_counts and flushed as one summary row when the window has ended. Nothing is lost: the
// counts live in the database until flushed, and start-up flushes windows a crash left behind.

import { record } from '../audit';
import { getDb, type Db } from '../db';

export const AUTH_WINDOW_MS = 10 * 60 * 1000;
/** Distinct (IP, username) keys per window before usernames fold into '*', then IPs too. */
export const KEYS_PER_WINDOW = 20;

export type AuthFailureOutcome = 'failure' | 'denied';

const REASON: Record<AuthFailureOutcome, string> = {
	failure: 'wrong username or password',
	denied: 'refused: too many attempts'
};

function windowOf(ts: number): number {
	return ts - (ts % AUTH_WINDOW_MS);
}

/**
 * Count one failed (`failure`) or throttled (`denied`) sign-in. `username` is what was typed, kept as
 * data (the audit viewer escapes it). Returns true when this attempt wrote its own audit row.
 */
export function recordAuthFailure(ip: string, username: string, outcome: AuthFailureOutcome, now = Date.now(), db: Db = getDb()): boolean {
	const q = statements(db);
	const windowStart = windowOf(now);
	const user = username.slice(0, 64);
	return db.transaction(() => {
		let key = { ip, username: user };
		if (!q.exists.get(windowStart, ip, user, outcome)) {
			const keys = (q.keys.get(windowStart) as { n: number }).n;
			// Spraying many usernames (or from many addresses) folds into coarser keys, so a window holds
			// at most about 2 × KEYS_PER_WINDOW + 1 keys whatever the attacker varies.
			if (keys >= KEYS_PER_WINDOW * 2) key = { ip: '*', username: '*' };
			else if (keys >= KEYS_PER_WINDOW) key = { ip, username: '*' };
		}
		const { count } = q.upsert.get(windowStart, key.ip, key.username, outcome, now, now) as { count: number };
		if (count > 1) return false;
		const folded = key.ip === '*' || key.username === '*';
		record(
			{ username: key.username === '*' ? null : key.username, ip: key.ip === '*' ? null : key.ip },
			'auth.login',
			key.username === '*' ? null : key.username,
			outcome,
			folded ? `${REASON[outcome]} (many ${key.ip === '*' ? 'addresses and usernames' : 'usernames'} in this window; counted together)` : REASON[outcome],
			db
		);
		return true;
	})();
}

// Prepared once per handle: a flood runs this path thousands of times a second.
const prepared = new WeakMap<Db, ReturnType<typeof prepare>>();
function prepare(db: Db) {
	return {
		exists: db.prepare('SELECT 1 FROM auth_failure_counts WHERE window_start = ? AND ip = ? AND username = ? AND outcome = ?'),
		keys: db.prepare('SELECT COUNT(*) AS n FROM auth_failure_counts WHERE window_start = ?'),
		upsert: db.prepare(
			`INSERT INTO auth_failure_counts (window_start, ip, username, outcome, count, first_ts, last_ts)
			 VALUES (?, ?, ?, ?, 1, ?, ?)
			 ON CONFLICT (window_start, ip, username, outcome) DO UPDATE SET count = count + 1, last_ts = excluded.last_ts
			 RETURNING count`
		)
	};
}
function statements(db: Db) {
	let q = prepared.get(db);
	if (!q) prepared.set(db, (q = prepare(db)));
	return q;
}

function clock(ts: number): string {
	return new Date(ts).toISOString().slice(11, 19);
}

/**
 * Write one summary audit row per key whose window has ended and drop the counts. The first attempt of
 * each key already has its own row, so a summary is written only for the repeats.
 */
export function flushAuthFailures(now = Date.now(), db: Db = getDb()): number {
	const current = windowOf(now);
	return db.transaction(() => {
		const rows = db
			.prepare(
				`SELECT window_start AS windowStart, ip, username, outcome, count, first_ts AS firstTs, last_ts AS lastTs
				 FROM auth_failure_counts WHERE window_start < ? ORDER BY window_start, first_ts`
			)
			.all(current) as Array<{ windowStart: number; ip: string; username: string; outcome: AuthFailureOutcome; count: number; firstTs: number; lastTs: number }>;
		let written = 0;
		for (const r of rows) {
			if (r.count > 1) {
				const who = `${r.username === '*' ? 'any username' : 'this username'} from ${r.ip === '*' ? 'any address' : 'this address'}`;
				record(
					{ username: r.username === '*' ? null : r.username, ip: r.ip === '*' ? null : r.ip },
					'auth.login',
					r.username === '*' ? null : r.username,
					r.outcome,
					`${r.count - 1} more (${r.count} in all) ${r.outcome === 'failure' ? 'failed' : 'refused'} sign-ins for ${who}, ${clock(r.firstTs)}–${clock(r.lastTs)} UTC: ${REASON[r.outcome]}`,
					db
				);
				written++;
			}
		}
		db.prepare('DELETE FROM auth_failure_counts WHERE window_start < ?').run(current);
		return written;
	})();
}

export interface PendingAuthFailures {
	ip: string;
	username: string;
	outcome: AuthFailureOutcome;
	count: number;
	firstTs: number;
	lastTs: number;
}

/** Counts of the current (not yet flushed) window, for the audit viewer. */
export function pendingAuthFailures(db: Db = getDb()): PendingAuthFailures[] {
	return db
		.prepare(
			`SELECT ip, username, outcome, count, first_ts AS firstTs, last_ts AS lastTs
			 FROM auth_failure_counts ORDER BY last_ts DESC LIMIT 100`
		)
		.all() as PendingAuthFailures[];
}
