// Rows of claude_tasks and claude_task_events. SQL only with bound parameters. Storing a batch of lines
// and moving the task's byte offset happen in one transaction, so after a crash the offset never points
// past a line that was not stored, nor before one that was (nothing lost, nothing twice).

import crypto from 'node:crypto';
import { getDb, type Db } from '../../db';
import type { TaskEvent, TaskOptions, TaskStatus, TaskUsage, TaskView } from '$lib/shared/types/claude';

export interface TaskRow {
	id: string;
	environment_id: string;
	prompt: string;
	status: TaskStatus;
	resume_of: string | null;
	session_id: string | null;
	remote_dir: string | null;
	remote_pid: number | null;
	result: string | null;
	error: string | null;
	cost_usd: number | null;
	num_turns: number | null;
	duration_ms: number | null;
	created_by: number | null;
	created_at: number;
	started_at: number | null;
	finished_at: number | null;
	options: string;
	out_offset: number;
	last_seq: number;
	stored_bytes: number;
	snapshot: string | null;
	exit_code: number | null;
	result_subtype: string | null;
	/** SHA-256 of the task's broker token; valid only while the task is queued or running (008). */
	broker_token_hash: string | null;
	/** What the CLI's result line claimed; cost_usd is what the broker measured. */
	reported_cost_usd: number | null;
	/** Why the broker refused a call (budget). */
	refused: string | null;
	/** The broker's usage totals as JSON. */
	usage: string | null;
	/** When the environment was rolled back to `snapshot` (013). */
	rolled_back_at: number | null;
}

export function newTaskId(): string {
	const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
	return 'task-' + [...crypto.randomBytes(12)].map((b) => alphabet[b % alphabet.length]).join('');
}

export function insertTask(row: { id: string; environmentId: string; prompt: string; resumeOf: string | null; options: TaskOptions; createdBy: number | null }, db: Db = getDb()): TaskRow {
	db.prepare(
		`INSERT INTO claude_tasks (id, environment_id, prompt, status, resume_of, options, created_by, created_at)
		 VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)`
	).run(row.id, row.environmentId, row.prompt, row.resumeOf, JSON.stringify(row.options), row.createdBy, Date.now());
	return getTask(row.id, db)!;
}

export function getTask(id: string, db: Db = getDb()): TaskRow | undefined {
	return db.prepare('SELECT * FROM claude_tasks WHERE id = ?').get(id) as TaskRow | undefined;
}

type Updatable = Partial<Omit<TaskRow, 'id' | 'environment_id' | 'prompt' | 'created_at' | 'created_by'>>;

export function updateTask(id: string, changes: Updatable, db: Db = getDb()): void {
	const keys = Object.keys(changes).filter((k) => /^[a-z_]+$/.test(k));
	if (keys.length === 0) return;
	const sets = keys.map((k) => `${k} = @${k}`).join(', ');
	db.prepare(`UPDATE claude_tasks SET ${sets} WHERE id = @id`).run({ ...changes, id });
}

export function activeTasks(db: Db = getDb()): TaskRow[] {
	return db.prepare(`SELECT * FROM claude_tasks WHERE status IN ('queued', 'running') ORDER BY created_at`).all() as TaskRow[];
}

export function runningCount(envId: string, db: Db = getDb()): number {
	const row = db.prepare(`SELECT COUNT(*) AS n FROM claude_tasks WHERE environment_id = ? AND status IN ('queued', 'running')`).get(envId) as { n: number };
	return row.n;
}

export interface NewEvent {
	type: string;
	data: Record<string, unknown>;
	/** Bytes of the output file this event accounts for (0 for Spyre's own markers). */
	bytes: number;
	/** Counted against the task's stored-bytes cap (JSON length). */
	size: number;
}

/**
 * Store events and advance the task's offset in one transaction. Returns the stored events with their
 * seq numbers. `skipped` lines only move the offset (over the cap).
 */
export function appendEvents(taskId: string, events: NewEvent[], skippedBytes: number, db: Db = getDb()): TaskEvent[] {
	const insert = db.prepare('INSERT INTO claude_task_events (task_id, seq, ts, type, payload) VALUES (?, ?, ?, ?, ?)');
	const stored: TaskEvent[] = [];
	db.transaction(() => {
		const task = db.prepare('SELECT last_seq, out_offset, stored_bytes FROM claude_tasks WHERE id = ?').get(taskId) as { last_seq: number; out_offset: number; stored_bytes: number } | undefined;
		if (!task) return;
		let seq = task.last_seq;
		let offset = task.out_offset + skippedBytes;
		let size = task.stored_bytes;
		const ts = Date.now();
		for (const e of events) {
			seq++;
			offset += e.bytes;
			size += e.size;
			insert.run(taskId, seq, ts, e.type, JSON.stringify(e.data));
			stored.push({ seq, ts, type: e.type, data: e.data });
		}
		db.prepare('UPDATE claude_tasks SET last_seq = ?, out_offset = ?, stored_bytes = ? WHERE id = ?').run(seq, offset, size, taskId);
	})();
	return stored;
}

/** Events after `seq`, oldest first (at most `limit`). */
export function eventsSince(taskId: string, seq: number, limit = 500, db: Db = getDb()): TaskEvent[] {
	const rows = db.prepare('SELECT seq, ts, type, payload FROM claude_task_events WHERE task_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(taskId, seq, limit) as Array<{
		seq: number;
		ts: number;
		type: string;
		payload: string;
	}>;
	return rows.map((r) => ({ seq: r.seq, ts: r.ts, type: r.type, data: JSON.parse(r.payload) as Record<string, unknown> }));
}

function optionsOf(row: TaskRow): TaskOptions {
	const stored = JSON.parse(row.options) as Omit<TaskOptions, 'repo'> & { repo?: string | null };
	// Rows from before 013 have no repo in their options.
	return { ...stored, repo: stored.repo ?? null };
}

export function toTaskView(row: TaskRow, environmentName: string | null = null): TaskView {
	return {
		id: row.id,
		environmentId: row.environment_id,
		environmentName,
		prompt: row.prompt,
		status: row.status,
		resumeOf: row.resume_of,
		sessionId: row.session_id,
		options: optionsOf(row),
		result: row.result,
		error: row.error,
		costUsd: row.cost_usd,
		reportedCostUsd: row.reported_cost_usd,
		usage: row.usage ? (JSON.parse(row.usage) as TaskUsage) : null,
		refused: row.refused,
		numTurns: row.num_turns,
		durationMs: row.duration_ms,
		resultSubtype: row.result_subtype,
		snapshot: row.snapshot,
		rolledBackAt: row.rolled_back_at ?? null,
		lastSeq: row.last_seq,
		createdAt: row.created_at,
		startedAt: row.started_at,
		finishedAt: row.finished_at
	};
}

export interface TaskFilter {
	status?: TaskStatus;
	environmentId?: string;
	/** Created at or after (ms). */
	from?: number;
	/** Created before (ms). */
	to?: number;
}

export function listTasks(filter: TaskFilter, page: number, pageSize: number, db: Db = getDb()): { tasks: TaskView[]; total: number } {
	const where: string[] = [];
	const params: Array<string | number> = [];
	if (filter.status) {
		where.push('t.status = ?');
		params.push(filter.status);
	}
	if (filter.environmentId) {
		where.push('t.environment_id = ?');
		params.push(filter.environmentId);
	}
	if (filter.from !== undefined) {
		where.push('t.created_at >= ?');
		params.push(filter.from);
	}
	if (filter.to !== undefined) {
		where.push('t.created_at < ?');
		params.push(filter.to);
	}
	const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
	const total = (db.prepare(`SELECT COUNT(*) AS n FROM claude_tasks t ${clause}`).get(...params) as { n: number }).n;
	const rows = db
		.prepare(
			`SELECT t.*, e.hostname AS env_name FROM claude_tasks t LEFT JOIN environments e ON e.id = t.environment_id
			 ${clause} ORDER BY t.created_at DESC, t.id LIMIT ? OFFSET ?`
		)
		.all(...params, pageSize, (page - 1) * pageSize) as Array<TaskRow & { env_name: string | null }>;
	return { tasks: rows.map((r) => toTaskView(r, r.env_name)), total };
}
