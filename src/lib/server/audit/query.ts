// Reading the audit log for the viewer (/settings/audit) and its exports. The log is append-only and
// grows for years, so nothing here loads it whole: pages are keyset pages over (ts, id) — the
// `audit_log_ts` index (or `audit_log_action` when one action is chosen) serves both the filter on time and
// the order, so a page costs the same on day one and in year five — and exports walk the same keyset in
// bounded batches. Every value from the URL reaches SQL as a bound parameter; the SQL text is built only
// from fixed fragments.

import { SpyreError } from '../errors';
import { getDb, type Db } from '../db';
import type { AuditEntry, AuditOutcome } from './';

export const PAGE_SIZE = 50;
/** The most rows one export holds; the viewer says so and the export says when it was cut. */
export const EXPORT_MAX_ROWS = 100_000;
/** Rows per query while an export streams (each batch is read synchronously, then released). */
export const EXPORT_BATCH = 1000;

const OUTCOMES: readonly AuditOutcome[] = ['success', 'failure', 'denied'];
const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_TEXT = 200;

export interface AuditFilter {
	/** Exact username (as recorded; a failed sign-in records what was typed). */
	user?: string;
	/** Exact action, or a prefix when it ends with `*` (`environment.*`). */
	action?: string;
	outcome?: AuditOutcome;
	/** Substring of the target, case-insensitive for ASCII. */
	target?: string;
	/** Inclusive lower bound, ms since the epoch. */
	from?: number;
	/** Exclusive upper bound, ms since the epoch. */
	until?: number;
}

/** A position in the (ts DESC, id DESC) order: the last (or first) row of a page. */
export interface Cursor {
	ts: number;
	id: number;
}

export interface AuditPage {
	entries: AuditEntry[];
	/** Cursor for the next (older) page, when there is one. */
	older: Cursor | null;
	/** Cursor for the previous (newer) page, when this is not the newest page. */
	newer: Cursor | null;
}

export interface ParsedFilter {
	filter: AuditFilter;
	/** The filter as the form shows it (dates as YYYY-MM-DD, in UTC). */
	values: Record<'user' | 'action' | 'outcome' | 'target' | 'from' | 'to', string>;
	/** Per-field problems; the rest of the filter still applies. */
	errors: Record<string, string>;
}

function parseDay(s: string): number | null {
	const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
	if (!m) return null;
	const ts = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
	// Date.UTC rolls 2026-02-31 over into March; refuse it instead of silently moving the range.
	return new Date(ts).toISOString().slice(0, 10) === s ? ts : null;
}

/**
 * Read the filter from a URL's query. Dates are whole UTC days (`from` inclusive, `to` inclusive of its
 * whole day). An unusable field is reported in `errors` and left out of the filter, never guessed.
 */
export function parseAuditFilter(params: URLSearchParams): ParsedFilter {
	const get = (k: string) => (params.get(k) ?? '').trim().slice(0, MAX_TEXT);
	const values = { user: get('user'), action: get('action'), outcome: get('outcome'), target: get('target'), from: get('from'), to: get('to') };
	const filter: AuditFilter = {};
	const errors: Record<string, string> = {};
	if (values.user) filter.user = values.user;
	if (values.action) filter.action = values.action;
	if (values.target) filter.target = values.target;
	if (values.outcome) {
		if ((OUTCOMES as readonly string[]).includes(values.outcome)) filter.outcome = values.outcome as AuditOutcome;
		else errors.outcome = `Outcome is one of ${OUTCOMES.join(', ')}.`;
	}
	if (values.from) {
		const ts = parseDay(values.from);
		if (ts === null) errors.from = 'Use a date like 2026-01-31.';
		else filter.from = ts;
	}
	if (values.to) {
		const ts = parseDay(values.to);
		if (ts === null) errors.to = 'Use a date like 2026-01-31.';
		else filter.until = ts + DAY_MS;
	}
	if (filter.from !== undefined && filter.until !== undefined && filter.from >= filter.until) {
		errors.to = 'The end date is before the start date.';
		delete filter.until;
	}
	return { filter, values, errors };
}

/** `ts:id`, the form a cursor takes in a URL. */
export function formatCursor(c: Cursor): string {
	return `${c.ts}:${c.id}`;
}

export function parseCursor(s: string | null): Cursor | null {
	const m = /^(\d{1,15}):(\d{1,15})$/.exec(s ?? '');
	return m ? { ts: Number(m[1]), id: Number(m[2]) } : null;
}

function escapeLike(s: string): string {
	return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** WHERE clause and its parameters for a filter; exported for the spec (bound parameters only). */
export function whereOf(filter: AuditFilter): { sql: string; params: Array<string | number> } {
	const parts: string[] = [];
	const params: Array<string | number> = [];
	if (filter.user !== undefined) {
		parts.push('username = ?');
		params.push(filter.user);
	}
	if (filter.action !== undefined) {
		if (filter.action.endsWith('*')) {
			parts.push("action LIKE ? ESCAPE '\\'");
			params.push(`${escapeLike(filter.action.slice(0, -1))}%`);
		} else {
			parts.push('action = ?');
			params.push(filter.action);
		}
	}
	if (filter.outcome !== undefined) {
		parts.push('outcome = ?');
		params.push(filter.outcome);
	}
	if (filter.target !== undefined) {
		parts.push("target LIKE ? ESCAPE '\\'");
		params.push(`%${escapeLike(filter.target)}%`);
	}
	if (filter.from !== undefined) {
		parts.push('ts >= ?');
		params.push(filter.from);
	}
	if (filter.until !== undefined) {
		parts.push('ts < ?');
		params.push(filter.until);
	}
	return { sql: parts.length ? parts.join(' AND ') : '1', params };
}

const COLUMNS = 'id, ts, user_id AS userId, username, action, target, outcome, ip, detail';

/**
 * The SQL for one keyset slice: rows strictly older than `before` (newest first) or strictly newer than
 * `after` (oldest first, for paging back). Exported for the spec, which checks its query plan.
 */
export function sliceQuery(filter: AuditFilter, limit: number, pos: { before?: Cursor; after?: Cursor } = {}): { sql: string; params: Array<string | number> } {
	const where = whereOf(filter);
	let sql = `SELECT ${COLUMNS} FROM audit_log WHERE ${where.sql}`;
	const params = [...where.params];
	if (pos.before) {
		sql += ' AND (ts < ? OR (ts = ? AND id < ?))';
		params.push(pos.before.ts, pos.before.ts, pos.before.id);
	} else if (pos.after) {
		sql += ' AND (ts > ? OR (ts = ? AND id > ?))';
		params.push(pos.after.ts, pos.after.ts, pos.after.id);
	}
	sql += pos.after ? ' ORDER BY ts ASC, id ASC' : ' ORDER BY ts DESC, id DESC';
	sql += ' LIMIT ?';
	params.push(limit);
	return { sql, params };
}

function slice(db: Db, filter: AuditFilter, limit: number, pos: { before?: Cursor; after?: Cursor }): AuditEntry[] {
	const q = sliceQuery(filter, limit, pos);
	return db.prepare(q.sql).all(...q.params) as AuditEntry[];
}

const cursorOf = (e: AuditEntry): Cursor => ({ ts: e.ts, id: e.id });

/**
 * One page, newest first. `before` pages towards older rows, `after` back towards newer ones; with
 * neither, the newest page. One row beyond the page tells whether more exist, so nothing is counted.
 */
export function queryAudit(filter: AuditFilter, pos: { before?: Cursor | null; after?: Cursor | null } = {}, pageSize = PAGE_SIZE, db: Db = getDb()): AuditPage {
	const size = Math.min(Math.max(Math.trunc(pageSize), 1), 500);
	if (pos.after) {
		const rows = slice(db, filter, size + 1, { after: pos.after });
		// Back at the newest rows: show the newest page itself, full, rather than a short remainder.
		if (rows.length <= size) return queryAudit(filter, {}, size, db);
		const entries = rows.slice(0, size).reverse();
		// Paging back from the far end: the row we came from exists, so an older page always does.
		return { entries, newer: cursorOf(entries[0]), older: cursorOf(entries[entries.length - 1]) };
	}
	const rows = slice(db, filter, size + 1, pos.before ? { before: pos.before } : {});
	const entries = rows.slice(0, size);
	return {
		entries,
		older: rows.length > size ? cursorOf(entries[entries.length - 1]) : null,
		newer: pos.before && entries.length ? cursorOf(entries[0]) : null
	};
}

export function getAuditEntry(id: number, db: Db = getDb()): AuditEntry | null {
	if (!Number.isSafeInteger(id) || id < 1) return null;
	return (db.prepare(`SELECT ${COLUMNS} FROM audit_log WHERE id = ?`).get(id) as AuditEntry | undefined) ?? null;
}

/**
 * Actions ever recorded, for the filter's suggestions. A skip-scan over `audit_log_action` (one index
 * seek per distinct action) instead of DISTINCT, which would read the whole index.
 */
/**
 * What the Action filter offers: each recorded family as a prefix (`environment.*`) before its actions,
 * and a placeholder example taken from the families that exist, so the hint never names a prefix no row
 * has (it once said `env.*` while every action is `environment.*`).
 */
export function actionChoices(actions: readonly string[]): { options: string[]; example: string } {
	const families = new Map<string, number>();
	for (const a of actions) {
		const dot = a.indexOf('.');
		if (dot > 0) families.set(a.slice(0, dot), (families.get(a.slice(0, dot)) ?? 0) + 1);
	}
	const options = [...new Set([...actions, ...[...families.keys()].map((f) => `${f}.*`)])].sort((x, y) => {
		// `environment.*` sorts before `environment.create` (`*` < letters), so a prefix heads its family.
		return x < y ? -1 : x > y ? 1 : 0;
	});
	const preferred = families.has('environment') ? 'environment' : ([...families].sort((x, y) => y[1] - x[1])[0]?.[0] ?? 'environment');
	return { options, example: `${preferred}.*` };
}

export function knownActions(db: Db = getDb()): string[] {
	const rows = db
		.prepare(
			`WITH RECURSIVE a(x) AS (
			   SELECT (SELECT MIN(action) FROM audit_log)
			   UNION ALL
			   SELECT (SELECT MIN(action) FROM audit_log WHERE action > a.x) FROM a WHERE a.x IS NOT NULL
			 )
			 SELECT x FROM a WHERE x IS NOT NULL LIMIT 500`
		)
		.all() as Array<{ x: string }>;
	return rows.map((r) => r.x);
}

/**
 * Whether the filtered set holds more than `max` rows; bounded at `max + 1` rows of work, so asking
 * costs no more than the export itself.
 */
export function exceeds(filter: AuditFilter, max: number, db: Db = getDb()): boolean {
	const where = whereOf(filter);
	const row = db.prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM audit_log WHERE ${where.sql} LIMIT ?)`).get(...where.params, max + 1) as { n: number };
	return row.n > max;
}

/**
 * The filtered rows, newest first, in batches of `batch`, at most `max` in all. Each batch is one short
 * synchronous query, so a slow download never holds the single database handle between batches.
 */
export function* exportBatches(filter: AuditFilter, max = EXPORT_MAX_ROWS, batch = EXPORT_BATCH, db: Db = getDb()): Generator<AuditEntry[]> {
	let left = max;
	let before: Cursor | undefined;
	while (left > 0) {
		const want = Math.min(batch, left);
		const rows = slice(db, filter, want, before ? { before } : {});
		if (rows.length === 0) return;
		yield rows;
		if (rows.length < want) return;
		left -= rows.length;
		before = cursorOf(rows[rows.length - 1]);
	}
}

// ---- CSV ---------------------------------------------------------------------------------------

/**
 * Characters that make a spreadsheet treat a cell as a formula (OWASP's list, plus the full-width forms
 * some spreadsheets also accept). A username is whatever someone typed at the sign-in form, so an
 * export opened in a spreadsheet must never run `=cmd|' /C calc'!A0`.
 */
const FORMULA_START = /^[=+\-@\t\r＝＋－＠]/;

/** One CSV cell (RFC 4180): formula starts neutralised with a leading `'`, then quoted when needed. */
export function csvCell(value: string | number | null | undefined): string {
	if (value === null || value === undefined) return '';
	if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
	let s = value;
	if (FORMULA_START.test(s)) s = `'${s}`;
	return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(cells: Array<string | number | null | undefined>): string {
	return `${cells.map(csvCell).join(',')}\r\n`;
}

export const CSV_HEADER = ['id', 'time_utc', 'ts_ms', 'user_id', 'username', 'action', 'target', 'outcome', 'ip', 'detail'];

export function csvEntry(e: AuditEntry): string {
	return csvRow([e.id, new Date(e.ts).toISOString(), e.ts, e.userId, e.username, e.action, e.target, e.outcome, e.ip, e.detail]);
}

/** Guard for the export's `format` parameter. */
export function exportFormat(s: string | null): 'csv' | 'json' {
	if (s === null || s === '' || s === 'csv') return 'csv';
	if (s === 'json') return 'json';
	throw new SpyreError('bad_request', 'Export format is csv or json.');
}
