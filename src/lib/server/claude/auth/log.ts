// claude_auth_log: one row per transition of the authentication state machine (and per orphan killed),
// read back as the history on /settings/claude. `detail` is a short sentence for people: callers pass
// text that was already redacted, and it is redacted again here as a last guard.

import type { ClaudeAuthHistoryEntry, ClaudeAuthMethod, ClaudeAuthState } from '$lib/shared/types/claude-auth';
import { getDb, type Db } from '../../db';
import { redact } from './parse';
import type { AuthLogEvent } from './state';

export interface AuthLogRow {
	event: AuthLogEvent;
	fromState?: ClaudeAuthState | null;
	toState?: ClaudeAuthState | null;
	method?: ClaudeAuthMethod | null;
	userId?: number | null;
	detail?: string | null;
}

export function append(row: AuthLogRow, db: Db = getDb()): void {
	db.prepare(`INSERT INTO claude_auth_log (ts, event, from_state, to_state, method, user_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
		Date.now(),
		row.event,
		row.fromState ?? null,
		row.toState ?? null,
		row.method ?? null,
		row.userId ?? null,
		row.detail ? redact(row.detail).slice(0, 500) : null
	);
}

export function history(limit = 50, db: Db = getDb()): ClaudeAuthHistoryEntry[] {
	return db
		.prepare(
			`SELECT l.id, l.ts, l.event, l.from_state AS fromState, l.to_state AS toState, l.method, u.username, l.detail
			 FROM claude_auth_log l LEFT JOIN users u ON u.id = l.user_id
			 ORDER BY l.id DESC LIMIT ?`
		)
		.all(Math.min(Math.max(limit, 1), 500)) as ClaudeAuthHistoryEntry[];
}
