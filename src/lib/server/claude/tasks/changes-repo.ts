// Rows of claude_task_changes (migration 013): a task's branch, its base commit and what it changed. SQL
// only with bound parameters; JSON columns hold lists that git-parse.ts already bounded and cleaned.

import { getDb, type Db } from '../../db';
import type { TaskChangesView, TaskCommit, TaskFileChange } from '$lib/shared/types/claude';
import type { CollectedChanges } from './git-changes';

export interface ChangesRow {
	task_id: string;
	repo_path: string;
	branch: string;
	base_commit: string | null;
	state: TaskChangesView['state'];
	head_commit: string | null;
	commits: string;
	files: string;
	files_truncated: number;
	added: number;
	removed: number;
	diff: string | null;
	diff_truncated: number;
	error: string | null;
	recorded_at: number | null;
	pushed_at: number | null;
	push_output: string | null;
}

export function insertChanges(taskId: string, repoPath: string, branch: string, base: string, db: Db = getDb()): void {
	db.prepare(`INSERT INTO claude_task_changes (task_id, repo_path, branch, base_commit, state) VALUES (?, ?, ?, ?, 'started')`).run(taskId, repoPath, branch, base);
}

export function getChanges(taskId: string, db: Db = getDb()): ChangesRow | undefined {
	return db.prepare('SELECT * FROM claude_task_changes WHERE task_id = ?').get(taskId) as ChangesRow | undefined;
}

/** Rows whose end was never recorded although their task is over (Spyre stopped in between). */
export function unrecordedEnded(db: Db = getDb()): string[] {
	const rows = db
		.prepare(
			`SELECT c.task_id FROM claude_task_changes c JOIN claude_tasks t ON t.id = c.task_id
			 WHERE c.state = 'started' AND t.status NOT IN ('queued', 'running')`
		)
		.all() as Array<{ task_id: string }>;
	return rows.map((r) => r.task_id);
}

export function saveRecorded(taskId: string, c: CollectedChanges, db: Db = getDb()): void {
	db.prepare(
		`UPDATE claude_task_changes SET state = 'recorded', head_commit = ?, commits = ?, files = ?, files_truncated = ?, added = ?, removed = ?,
		 diff = ?, diff_truncated = ?, error = NULL, recorded_at = ? WHERE task_id = ?`
	).run(c.head, JSON.stringify(c.commits), JSON.stringify(c.files), c.filesTruncated ? 1 : 0, c.added, c.removed, c.diff, c.diffTruncated ? 1 : 0, Date.now(), taskId);
}

export function saveFailed(taskId: string, error: string, db: Db = getDb()): void {
	db.prepare(`UPDATE claude_task_changes SET state = 'failed', error = ?, recorded_at = ? WHERE task_id = ?`).run(error.slice(0, 2000), Date.now(), taskId);
}

export function savePushed(taskId: string, output: string, db: Db = getDb()): void {
	db.prepare('UPDATE claude_task_changes SET pushed_at = ?, push_output = ? WHERE task_id = ?').run(Date.now(), output.slice(0, 4000), taskId);
}

export function toChangesView(row: ChangesRow): TaskChangesView {
	return {
		taskId: row.task_id,
		repoPath: row.repo_path,
		branch: row.branch,
		baseCommit: row.base_commit,
		state: row.state,
		headCommit: row.head_commit,
		commits: JSON.parse(row.commits) as TaskCommit[],
		files: JSON.parse(row.files) as TaskFileChange[],
		filesTruncated: row.files_truncated === 1,
		added: row.added,
		removed: row.removed,
		diff: row.diff,
		diffTruncated: row.diff_truncated === 1,
		error: row.error,
		recordedAt: row.recorded_at,
		pushedAt: row.pushed_at,
		pushOutput: row.push_output
	};
}
