// The one rule of what the sweeper does with an environment: stop it for being idle, start or stop it
// for its schedule, or leave it. Pure and table-tested (decide.spec.ts): the sweeper gathers the facts
// and the span of time, this decides, the sweeper acts through the environments' own start and stop.

import type { ActivityKind } from './activity';
import { lastMoment, type ScheduleWindow } from './schedule';

export interface EnvFacts {
	/** The environment row's status. */
	status: string;
	/** A job (provision, start, stop, destroy…) runs on it: never act then. */
	busy: boolean;
	/** Kinds of ongoing activity held right now (open terminal, running task, gateway session). */
	held: readonly ActivityKind[];
	/** Epoch ms of the newest activity (a request to a service, a hold taken or let go, seen not running). */
	lastActivity: number;
	/** The effective idle time, 0 = never. */
	idleStopMinutes: number;
	schedule: readonly ScheduleWindow[];
}

export type Decision = { action: 'none' } | { action: 'stop'; reason: 'idle'; detail: string } | { action: 'stop' | 'start'; reason: 'schedule'; detail: string };

const NONE: Decision = { action: 'none' };

/**
 * `from` is the previous sweep (or Spyre's start), `now` this one: a scheduled moment in (from, now] is
 * due. A scheduled stop leaves an environment in use alone (the idle stop takes it later); a scheduled
 * start only starts a stopped one.
 */
export function decide(f: EnvFacts, from: number, now: number): Decision {
	if (f.busy) return NONE;
	const due = lastMoment(f.schedule, from, now);
	if (due?.action === 'start' && f.status === 'stopped') return { action: 'start', reason: 'schedule', detail: `scheduled start at ${due.time}` };
	if (f.status !== 'running' || f.held.length > 0) return NONE;
	if (due?.action === 'stop') return { action: 'stop', reason: 'schedule', detail: `scheduled stop at ${due.time}` };
	if (f.idleStopMinutes > 0 && now - f.lastActivity >= f.idleStopMinutes * 60_000) {
		return { action: 'stop', reason: 'idle', detail: `idle ${f.idleStopMinutes} minute${f.idleStopMinutes === 1 ? '' : 's'}` };
	}
	return NONE;
}
