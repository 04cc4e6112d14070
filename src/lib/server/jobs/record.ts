// The record of one job: a provision_runs row per run and a numbered provision_events row per step or
// output line, each event also pushed live over /api/events as `env.log`. Progress (phase, step i of n,
// percent) rides on step events and on the run row, so a page loaded mid-run can draw it without replay.
// This module records; it never decides what a run does or when it ends (the registry does).

import { getDb, type Db } from '../db';
import * as events from '../events';
import type { RunEventView, RunKind, RunPhase, RunStatus, RunSummary, RunView } from '$lib/shared/types/environments';
// The dashboard's row shape (a type only: nothing of the browser's code comes along).
import type { ProvisionItem } from '$lib/shared/dashboard-model';

export interface StepProgress {
	phase?: RunPhase;
	/** Step i of n within the phase (1-based). */
	index?: number;
	total?: number;
	/** The run's overall progress, 0-100. */
	percent?: number;
}

export type EventKind = Exclude<RunEventView['kind'], 'step'>;
export type FinalStatus = Exclude<RunStatus, 'running'>;

export interface Run {
	id: number;
	environmentId: string;
	kind: RunKind;
	/** The step the run is in (set by `step`), for recording where a failure happened. */
	readonly currentStep: string | null;
	readonly currentPhase: RunPhase | null;
	/** Append one event to the run and push it to browsers. */
	event(kind: EventKind, message: string, step?: string | null): void;
	/** Enter a step: recorded on the run row and as a 'step' event carrying the progress. */
	step(step: string, message: string, progress?: StepProgress): void;
	setPhase(phase: RunPhase): void;
	/** End the run. Only the first call counts; a run already ended (or interrupted) stays as it is. */
	finish(status: FinalStatus, error?: string | null): void;
}

export interface NewRun {
	environmentId: string;
	kind: RunKind;
	userId: number | null;
	configName?: string | null;
	configVersion?: number | null;
	configSnapshot?: string | null;
}

const MAX_MESSAGE = 4000;

function clampPercent(p: number | undefined): number | undefined {
	if (p === undefined || !Number.isFinite(p)) return undefined;
	return Math.max(0, Math.min(100, Math.round(p)));
}

function positive(n: number | undefined): number | undefined {
	return n !== undefined && Number.isInteger(n) && n >= 1 ? n : undefined;
}

/** Insert the run row and return the handle that records its events. */
export function createRun(spec: NewRun, db: Db = getDb()): Run {
	// A create starts in the create phase, as before phases existed; other kinds set theirs explicitly.
	const phase: RunPhase | null = spec.kind === 'create' ? 'create' : null;
	const info = db
		.prepare(
			`INSERT INTO provision_runs (environment_id, kind, config_name, config_version, config_snapshot, status, phase, started_by, started_at)
			 VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?)`
		)
		.run(spec.environmentId, spec.kind, spec.configName ?? null, spec.configVersion ?? null, spec.configSnapshot ?? null, phase, spec.userId, Date.now());
	return new RecordedRun(Number(info.lastInsertRowid), spec.environmentId, spec.kind, phase, db);
}

/** A run's recorder: holds the event counter and where the run is (step, phase), which is real state. */
class RecordedRun implements Run {
	#seq = 0;
	#step: string | null = null;
	#phase: RunPhase | null;
	#insert;

	constructor(
		readonly id: number,
		readonly environmentId: string,
		readonly kind: RunKind,
		phase: RunPhase | null,
		private readonly db: Db
	) {
		this.#phase = phase;
		this.#insert = db.prepare(
			`INSERT INTO provision_events (run_id, seq, ts, kind, step, message, phase, step_index, step_total, percent)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
		);
	}

	get currentStep(): string | null {
		return this.#step;
	}

	get currentPhase(): RunPhase | null {
		return this.#phase;
	}

	event(kind: EventKind, message: string, step: string | null = this.#step): void {
		this.#append(kind, message, step);
	}

	step(step: string, message: string, progress: StepProgress = {}): void {
		if (progress.phase && progress.phase !== this.#phase) this.setPhase(progress.phase);
		this.#step = step;
		const clean = { index: positive(progress.index), total: positive(progress.total), percent: clampPercent(progress.percent) };
		if (clean.percent !== undefined) {
			this.db.prepare('UPDATE provision_runs SET step = ?, percent = ? WHERE id = ?').run(step, clean.percent, this.id);
		} else {
			this.db.prepare('UPDATE provision_runs SET step = ? WHERE id = ?').run(step, this.id);
		}
		this.#append('step', message, step, clean);
	}

	setPhase(phase: RunPhase): void {
		this.#phase = phase;
		this.db.prepare('UPDATE provision_runs SET phase = ? WHERE id = ?').run(phase, this.id);
	}

	finish(status: FinalStatus, error: string | null = null): void {
		// A run that succeeded is complete even if its steps never said so.
		const info = this.db
			.prepare(
				`UPDATE provision_runs SET status = ?, error = ?, finished_at = ?,
				   percent = CASE WHEN ? = 'succeeded' THEN 100 ELSE percent END
				 WHERE id = ? AND status = 'running'`
			)
			.run(status, error, Date.now(), status, this.id);
		// Tells a progress view the run is over (to offer Retry) without waiting for the row's next push.
		if (info.changes > 0) {
			events.publish('env.run', { id: this.environmentId, runId: this.id, runKind: this.kind, status, error }, this.db);
		}
	}

	#append(kind: RunEventView['kind'], message: string, step: string | null, progress: StepProgress = {}): void {
		const text = message.length > MAX_MESSAGE ? message.slice(0, MAX_MESSAGE) + '…' : message;
		const ts = Date.now();
		const seq = ++this.#seq;
		const { index, total, percent } = progress;
		this.#insert.run(this.id, seq, ts, kind, step, text, this.#phase, index ?? null, total ?? null, percent ?? null);
		const view: RunEventView = { seq, ts, kind, step, message: text };
		if (this.#phase) view.phase = this.#phase;
		if (index !== undefined) view.index = index;
		if (total !== undefined) view.total = total;
		if (percent !== undefined) view.percent = percent;
		events.publish('env.log', { id: this.environmentId, runId: this.id, runKind: this.kind, ...view }, this.db);
	}
}

/** A run as stored: the view without its events. */
type RunRow = Omit<RunView, 'events'>;

interface EventRow {
	seq: number;
	ts: number;
	kind: RunEventView['kind'];
	step: string | null;
	message: string;
	phase: RunPhase | null;
	stepIndex: number | null;
	stepTotal: number | null;
	percent: number | null;
}

const RUN_COLUMNS = `id, environment_id AS environmentId, kind, status, phase, step, percent, error,
	config_name AS configName, config_version AS configVersion, config_snapshot AS configSnapshot, started_at AS startedAt, finished_at AS finishedAt`;

/** How many of a run's events a view carries: the newest, or those before `beforeSeq` (a provision can print far more). */
export const VIEW_EVENTS = 500;

function withEvents(run: RunRow | undefined, db: Db, beforeSeq: number | null = null): RunView | null {
	if (!run) return null;
	const rows = db
		.prepare(
			`SELECT seq, ts, kind, step, message, phase, step_index AS stepIndex, step_total AS stepTotal, percent
			 FROM provision_events WHERE run_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`
		)
		.all(run.id, beforeSeq ?? Number.MAX_SAFE_INTEGER, VIEW_EVENTS) as EventRow[];
	const events = rows.reverse().map(eventView);
	// Events are numbered 1, 2, 3… per run, so the first one carried says how many come before it.
	const earlier = events.length > 0 ? events[0].seq - 1 : 0;
	return { ...run, events, ...(earlier > 0 ? { earlierEvents: earlier } : {}) };
}

function eventView(r: EventRow): RunEventView {
	const view: RunEventView = { seq: r.seq, ts: r.ts, kind: r.kind, step: r.step, message: r.message };
	if (r.phase !== null) view.phase = r.phase;
	if (r.stepIndex !== null) view.index = r.stepIndex;
	if (r.stepTotal !== null) view.total = r.stepTotal;
	if (r.percent !== null) view.percent = r.percent;
	return view;
}

/**
 * The newest run of an environment and its events, for the progress view after a page reload; with
 * `kind`, the newest run of that kind (a provision's outcome outlives the start and stop runs after it).
 */
export function latestRun(environmentId: string, kind?: RunKind, db: Db = getDb()): RunView | null {
	const run = (
		kind === undefined
			? db.prepare(`SELECT ${RUN_COLUMNS} FROM provision_runs WHERE environment_id = ? ORDER BY id DESC LIMIT 1`).get(environmentId)
			: db.prepare(`SELECT ${RUN_COLUMNS} FROM provision_runs WHERE environment_id = ? AND kind = ? ORDER BY id DESC LIMIT 1`).get(environmentId, kind)
	) as RunRow | undefined;
	return withEvents(run, db);
}

/** How many runs the environment page lists (every run stays recorded; older ones are a query away). */
export const LISTED_RUNS = 50;

/**
 * An environment's runs, newest first, without their events: every attempt stays listed after a retry.
 * `beforeId` pages back to older runs (those with a smaller id).
 */
export function listRuns(environmentId: string, limit = LISTED_RUNS, db: Db = getDb(), beforeId: number | null = null): RunSummary[] {
	const rows = db
		.prepare(`SELECT ${RUN_COLUMNS} FROM provision_runs WHERE environment_id = ? AND id < ? ORDER BY id DESC LIMIT ?`)
		.all(environmentId, beforeId ?? Number.MAX_SAFE_INTEGER, limit) as RunRow[];
	return rows.map(({ configSnapshot: _snapshot, ...summary }) => summary);
}

/** One run with its newest VIEW_EVENTS events, or the VIEW_EVENTS before event `beforeSeq` (paging back). */
export function getRun(runId: number, db: Db = getDb(), beforeSeq: number | null = null): RunView | null {
	const run = db.prepare(`SELECT ${RUN_COLUMNS} FROM provision_runs WHERE id = ?`).get(runId) as RunRow | undefined;
	return withEvents(run, db, beforeSeq);
}

/** The resolved config snapshotted on the environment's newest run that carries one, or null. */
export function latestConfigSnapshot(environmentId: string, db: Db = getDb()): string | null {
	const snapshot = db.prepare('SELECT config_snapshot FROM provision_runs WHERE environment_id = ? AND config_snapshot IS NOT NULL ORDER BY id DESC LIMIT 1').pluck().get(environmentId) as
		string | undefined;
	return snapshot ?? null;
}

const PROVISION_COLUMNS = `r.id AS runId, r.environment_id AS environmentId, e.hostname, r.status, r.phase, r.step,
	r.percent, r.error, r.config_name AS configName, r.started_at AS startedAt, r.finished_at AS finishedAt`;

/**
 * Every running provision run plus the `finished` newest finished ones (by finish time), of environments
 * that still exist, with their hostnames (the dashboard's rows). The caller orders them for display.
 */
export function recentProvisionRuns(finished: number, db: Db = getDb()): ProvisionItem[] {
	const running = db
		.prepare(
			`SELECT ${PROVISION_COLUMNS} FROM provision_runs r JOIN environments e ON e.id = r.environment_id
			 WHERE r.status = 'running' AND r.kind = 'provision'`
		)
		.all() as ProvisionItem[];
	const done = db
		.prepare(
			`SELECT ${PROVISION_COLUMNS} FROM provision_runs r JOIN environments e ON e.id = r.environment_id
			 WHERE r.status <> 'running' AND r.kind = 'provision' ORDER BY r.finished_at DESC LIMIT ?`
		)
		.all(finished) as ProvisionItem[];
	return [...running, ...done];
}

/**
 * Mark every run left 'running' by a previous process as interrupted (runs of jobs alive in this process,
 * listed in `alive`, are left alone). Returns the affected environment ids.
 */
export function interruptStaleRuns(alive: ReadonlySet<number> = new Set(), db: Db = getDb()): string[] {
	const rows = (db.prepare("SELECT id, environment_id AS envId FROM provision_runs WHERE status = 'running'").all() as Array<{ id: number; envId: string }>).filter((r) => !alive.has(r.id));
	const now = Date.now();
	const mark = db.prepare("UPDATE provision_runs SET status = 'interrupted', error = 'Spyre stopped while this was running', finished_at = ? WHERE id = ? AND status = 'running'");
	db.transaction(() => {
		for (const r of rows) mark.run(now, r.id);
	})();
	return [...new Set(rows.map((r) => r.envId))];
}
