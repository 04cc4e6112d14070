// Rows of attempt_sets and attempts (migration 014). SQL only with bound parameters. An attempt keeps its
// own copy of its task's summary and check, since the task row goes with the clone's environment.

import crypto from 'node:crypto';
import { getDb, type Db } from '../../db';
import type { AttemptSetStatus, AttemptStatus } from '$lib/shared/types/attempts';

export interface AttemptSetRow {
	id: string;
	source_env_id: string | null;
	source_hostname: string;
	prompt: string;
	options: string;
	repo: string | null;
	count: number;
	status: AttemptSetStatus;
	snapshot: string | null;
	base_vmid: number | null;
	base_node: string | null;
	placement: string | null;
	error: string | null;
	kept_n: number | null;
	created_by: number | null;
	created_at: number;
	running_at: number | null;
	finished_at: number | null;
}

export interface AttemptRow {
	set_id: string;
	n: number;
	hostname: string;
	environment_id: string | null;
	node: string | null;
	status: AttemptStatus;
	error: string | null;
	clone_ms: number | null;
	task_id: string | null;
	task_status: string | null;
	duration_ms: number | null;
	num_turns: number | null;
	cost_usd: number | null;
	files_changed: number | null;
	lines_added: number | null;
	lines_removed: number | null;
	check_exit: number | null;
	check_output: string | null;
	check_ms: number | null;
	started_at: number | null;
	finished_at: number | null;
}

export function newSetId(): string {
	const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
	return 'set-' + [...crypto.randomBytes(10)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** The set and its attempts in one transaction: a set is never seen without its attempts. */
export function insertSet(
	set: Pick<AttemptSetRow, 'id' | 'source_env_id' | 'source_hostname' | 'prompt' | 'options' | 'repo' | 'count' | 'created_by'>,
	attempts: { hostname: string; node: string }[],
	db: Db = getDb()
): AttemptSetRow {
	const now = Date.now();
	db.transaction(() => {
		db.prepare(
			`INSERT INTO attempt_sets (id, source_env_id, source_hostname, prompt, options, repo, count, status, created_by, created_at)
			 VALUES (@id, @source_env_id, @source_hostname, @prompt, @options, @repo, @count, 'creating', @created_by, @now)`
		).run({ ...set, now });
		const insert = db.prepare(`INSERT INTO attempts (set_id, n, hostname, node, status) VALUES (?, ?, ?, ?, 'queued')`);
		attempts.forEach((a, i) => insert.run(set.id, i + 1, a.hostname, a.node));
	})();
	return getSet(set.id, db)!;
}

export function getSet(id: string, db: Db = getDb()): AttemptSetRow | undefined {
	return db.prepare('SELECT * FROM attempt_sets WHERE id = ?').get(id) as AttemptSetRow | undefined;
}

export function listSets(filter: { sourceEnvId?: string; limit?: number } = {}, db: Db = getDb()): AttemptSetRow[] {
	const limit = filter.limit ?? 50;
	if (filter.sourceEnvId) return db.prepare('SELECT * FROM attempt_sets WHERE source_env_id = ? ORDER BY created_at DESC LIMIT ?').all(filter.sourceEnvId, limit) as AttemptSetRow[];
	return db.prepare('SELECT * FROM attempt_sets ORDER BY created_at DESC LIMIT ?').all(limit) as AttemptSetRow[];
}

export function activeSets(db: Db = getDb()): AttemptSetRow[] {
	return db.prepare(`SELECT * FROM attempt_sets WHERE status IN ('creating', 'running') ORDER BY created_at`).all() as AttemptSetRow[];
}

/** Sets whose base template is still recorded (it goes once its last clone is gone). */
export function setsWithBase(db: Db = getDb()): AttemptSetRow[] {
	return db.prepare('SELECT * FROM attempt_sets WHERE base_vmid IS NOT NULL ORDER BY created_at').all() as AttemptSetRow[];
}

export function attemptsOf(setId: string, db: Db = getDb()): AttemptRow[] {
	return db.prepare('SELECT * FROM attempts WHERE set_id = ? ORDER BY n').all(setId) as AttemptRow[];
}

/** Clones of attempt sets that exist now across the cluster (a kept clone is an environment like any other). */
export function liveCloneCount(db: Db = getDb()): number {
	const row = db.prepare(`SELECT COUNT(*) AS n FROM environments WHERE attempt_set_id IS NOT NULL`).get() as { n: number };
	return row.n;
}

const SET_COLUMNS = new Set(['status', 'snapshot', 'base_vmid', 'base_node', 'placement', 'error', 'kept_n', 'running_at', 'finished_at']);
const ATTEMPT_COLUMNS = new Set([
	'environment_id',
	'node',
	'status',
	'error',
	'clone_ms',
	'task_id',
	'task_status',
	'duration_ms',
	'num_turns',
	'cost_usd',
	'files_changed',
	'lines_added',
	'lines_removed',
	'check_exit',
	'check_output',
	'check_ms',
	'started_at',
	'finished_at'
]);

function update(table: 'attempt_sets' | 'attempts', columns: Set<string>, where: string, key: Record<string, unknown>, changes: Record<string, unknown>, db: Db): void {
	const keys = Object.keys(changes).filter((k) => columns.has(k));
	if (keys.length === 0) return;
	db.prepare(`UPDATE ${table} SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE ${where}`).run({ ...changes, ...key });
}

export function updateSet(id: string, changes: Partial<Omit<AttemptSetRow, 'id'>>, db: Db = getDb()): void {
	update('attempt_sets', SET_COLUMNS, 'id = @key_id', { key_id: id }, changes, db);
}

export function updateAttempt(setId: string, n: number, changes: Partial<Omit<AttemptRow, 'set_id' | 'n'>>, db: Db = getDb()): void {
	update('attempts', ATTEMPT_COLUMNS, 'set_id = @key_set AND n = @key_n', { key_set: setId, key_n: n }, changes, db);
}
