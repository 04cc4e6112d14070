// Rows of environment_lifecycle (migration 016): the lifecycle an environment's newest successful provision
// gave it. SQL only with bound parameters.

import { getDb, type Db } from '../db';
import type { ScheduleWindow } from './schedule';

export interface EnvLifecycle {
	/** null: environment.yaml's default; 0: never. */
	idleStopMinutes: number | null;
	schedule: ScheduleWindow[];
}

interface Row {
	environment_id: string;
	idle_stop_minutes: number | null;
	schedule: string | null;
}

const NONE: EnvLifecycle = { idleStopMinutes: null, schedule: [] };

function fromRow(r: Row): EnvLifecycle {
	// Written only by `save` from a validated config, so the JSON has the checked shape.
	return { idleStopMinutes: r.idle_stop_minutes, schedule: r.schedule ? (JSON.parse(r.schedule) as ScheduleWindow[]) : [] };
}

/** Every environment's lifecycle by id; an environment without a row has the defaults. */
export function allLifecycles(db: Db = getDb()): Map<string, EnvLifecycle> {
	const rows = db.prepare('SELECT environment_id, idle_stop_minutes, schedule FROM environment_lifecycle').all() as Row[];
	return new Map(rows.map((r) => [r.environment_id, fromRow(r)]));
}

export function lifecycleOf(envId: string, db: Db = getDb()): EnvLifecycle {
	const row = db.prepare('SELECT environment_id, idle_stop_minutes, schedule FROM environment_lifecycle WHERE environment_id = ?').get(envId) as Row | undefined;
	return row ? fromRow(row) : NONE;
}

/** What a provision's config says (replacing what an earlier provision said). */
export function save(envId: string, lifecycle: { idleStopMinutes: number | null; schedule: readonly ScheduleWindow[] }, db: Db = getDb()): void {
	db.prepare(
		`INSERT INTO environment_lifecycle (environment_id, idle_stop_minutes, schedule) VALUES (?, ?, ?)
		 ON CONFLICT (environment_id) DO UPDATE SET idle_stop_minutes = excluded.idle_stop_minutes, schedule = excluded.schedule`
	).run(envId, lifecycle.idleStopMinutes, lifecycle.schedule.length ? JSON.stringify(lifecycle.schedule) : null);
}
