// Rows of environment_lifecycle (migration 016): the lifecycle an environment's newest successful provision
// gave it, and why Spyre itself stopped it last. SQL only with bound parameters.

import { getDb, type Db } from '../db';
import type { ScheduleWindow } from './schedule';

export type StoppedBy = 'idle' | 'schedule';

export interface EnvLifecycle {
	/** null: environment.yaml's default; 0: never. */
	idleStopMinutes: number | null;
	schedule: ScheduleWindow[];
	stoppedBy: StoppedBy | null;
}

interface Row {
	environment_id: string;
	idle_stop_minutes: number | null;
	schedule: string | null;
	stopped_by: StoppedBy | null;
}

const NONE: EnvLifecycle = { idleStopMinutes: null, schedule: [], stoppedBy: null };

function fromRow(r: Row): EnvLifecycle {
	// Written only by `save` from a validated config, so the JSON has the checked shape.
	return { idleStopMinutes: r.idle_stop_minutes, schedule: r.schedule ? (JSON.parse(r.schedule) as ScheduleWindow[]) : [], stoppedBy: r.stopped_by };
}

/** Every environment's lifecycle by id; an environment without a row has the defaults. */
export function allLifecycles(db: Db = getDb()): Map<string, EnvLifecycle> {
	const rows = db.prepare('SELECT environment_id, idle_stop_minutes, schedule, stopped_by FROM environment_lifecycle').all() as Row[];
	return new Map(rows.map((r) => [r.environment_id, fromRow(r)]));
}

export function lifecycleOf(envId: string, db: Db = getDb()): EnvLifecycle {
	const row = db.prepare('SELECT environment_id, idle_stop_minutes, schedule, stopped_by FROM environment_lifecycle WHERE environment_id = ?').get(envId) as Row | undefined;
	return row ? fromRow(row) : NONE;
}

/** What a provision's config says (replacing what an earlier provision said). */
export function save(envId: string, lifecycle: { idleStopMinutes: number | null; schedule: readonly ScheduleWindow[] }, db: Db = getDb()): void {
	db.prepare(
		`INSERT INTO environment_lifecycle (environment_id, idle_stop_minutes, schedule) VALUES (?, ?, ?)
		 ON CONFLICT (environment_id) DO UPDATE SET idle_stop_minutes = excluded.idle_stop_minutes, schedule = excluded.schedule`
	).run(envId, lifecycle.idleStopMinutes, lifecycle.schedule.length ? JSON.stringify(lifecycle.schedule) : null);
}

/** Spyre stopped it (`by`), or it runs again / a person stopped it (null). */
export function markStopped(envId: string, by: StoppedBy | null, at: number, db: Db = getDb()): void {
	db.prepare(
		`INSERT INTO environment_lifecycle (environment_id, stopped_by, stopped_at) VALUES (?, ?, ?)
		 ON CONFLICT (environment_id) DO UPDATE SET stopped_by = excluded.stopped_by, stopped_at = excluded.stopped_at`
	).run(envId, by, by ? at : null);
}
