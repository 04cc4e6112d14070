// The record of long work on an environment (create, start, stop, destroy): one provision_runs row per
// job and a numbered provision_events row per step or log line, each also pushed live over /api/events.
// A restart finds every unfinished run and marks it interrupted, so nothing is left "running" forever.

import { getDb, type Db } from '../db';
import * as events from '../events';
import type { RunEventView } from '$lib/types/environments';

export type RunKind = 'create' | 'provision' | 'start' | 'stop' | 'destroy';
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface Run {
	id: number;
	environmentId: string;
	kind: RunKind;
	/** The step the run is in (set by `step`), for recording where a failure happened. */
	readonly currentStep: string | null;
	/** Append one event to the run and push it to browsers. */
	event(kind: RunEventView['kind'], message: string, step?: string | null): void;
	step(step: string, message: string): void;
	finish(status: Exclude<RunStatus, 'running'>, error?: string | null): void;
}

const MAX_MESSAGE = 4000;

export function startRun(environmentId: string, kind: RunKind, userId: number | null, db: Db = getDb()): Run {
	const info = db
		.prepare(
			`INSERT INTO provision_runs (environment_id, kind, status, phase, started_by, started_at)
			 VALUES (?, ?, 'running', ?, ?, ?)`
		)
		.run(environmentId, kind, kind === 'create' ? 'create' : null, userId, Date.now());
	const id = Number(info.lastInsertRowid);
	let seq = 0;
	let currentStep: string | null = null;
	const insert = db.prepare(
		'INSERT INTO provision_events (run_id, seq, ts, kind, step, message) VALUES (?, ?, ?, ?, ?, ?)'
	);
	const run: Run = {
		id,
		environmentId,
		kind,
		get currentStep() {
			return currentStep;
		},
		event(kind, message, step = currentStep) {
			const text = message.length > MAX_MESSAGE ? message.slice(0, MAX_MESSAGE) + '…' : message;
			const ts = Date.now();
			insert.run(id, ++seq, ts, kind, step, text);
			events.publish('env.log', { id: environmentId, runId: id, runKind: run.kind, seq, ts, kind, step, message: text }, db);
		},
		step(step, message) {
			currentStep = step;
			db.prepare('UPDATE provision_runs SET step = ? WHERE id = ?').run(step, id);
			run.event('step', message, step);
		},
		finish(status, error = null) {
			db.prepare('UPDATE provision_runs SET status = ?, error = ?, finished_at = ? WHERE id = ? AND status = ?').run(
				status,
				error,
				Date.now(),
				id,
				'running'
			);
		}
	};
	return run;
}

/** The newest run of an environment and its events, for the progress view after a page reload. */
export function latestRun(
	environmentId: string,
	db: Db = getDb()
): { id: number; kind: RunKind; status: RunStatus; step: string | null; error: string | null; startedAt: number; finishedAt: number | null; events: RunEventView[] } | null {
	const run = db
		.prepare(
			`SELECT id, kind, status, step, error, started_at AS startedAt, finished_at AS finishedAt
			 FROM provision_runs WHERE environment_id = ? ORDER BY id DESC LIMIT 1`
		)
		.get(environmentId) as { id: number; kind: RunKind; status: RunStatus; step: string | null; error: string | null; startedAt: number; finishedAt: number | null } | undefined;
	if (!run) return null;
	const rows = db
		.prepare('SELECT seq, ts, kind, step, message FROM provision_events WHERE run_id = ? ORDER BY seq DESC LIMIT 500')
		.all(run.id) as RunEventView[];
	return { ...run, events: rows.reverse() };
}

/** Mark every run left 'running' by a previous process as interrupted. Returns the affected env ids. */
export function interruptStaleRuns(db: Db = getDb()): string[] {
	const rows = db.prepare("SELECT id, environment_id AS envId FROM provision_runs WHERE status = 'running'").all() as Array<{ id: number; envId: string }>;
	const now = Date.now();
	const mark = db.prepare(
		"UPDATE provision_runs SET status = 'interrupted', error = 'Spyre stopped while this was running', finished_at = ? WHERE id = ?"
	);
	for (const r of rows) mark.run(now, r.id);
	return [...new Set(rows.map((r) => r.envId))];
}
