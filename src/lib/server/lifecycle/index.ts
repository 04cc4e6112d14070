// Environment lifecycle beyond start and stop: activity (`hold` for ongoing use, `touch` for a moment of
// use), the idle and schedule sweeper that stops or starts environments on their own, `wake` for the
// entry points that bring a stopped one back, and the per-environment lifecycle a provision stores.
// It owns when Spyre acts on its own; how an environment starts or stops stays in environments/power.ts.

import { singleton } from '../singleton';
import { createActivity, systemClock, type ActivityKind, type Clock } from './activity';
import * as sweeper from './sweeper';
import { serviceRequest as gateService, type ServiceRequest } from './service-wake';
import type { AuditActor } from '../audit';

export { ACTIVITY_KINDS, systemClock, type ActivityKind, type Clock } from './activity';
export { wake, wakeable } from './wake';
export { save as saveLifecycle, lifecycleOf, allLifecycles, type EnvLifecycle } from './store';
export type { ScheduleWindow } from './schedule';
export type { SweepAction } from './sweeper';

/** The clock every part reads; tests swap what it reads with `useClock` (never by sleeping). */
const state = singleton('lifecycle.state', () => {
	let current: Clock = systemClock;
	const clock: Clock = { now: () => current.now() };
	return { clock, activity: createActivity(clock), use: (c: Clock) => void (current = c), stop: null as null | (() => void) };
});

export function useClock(clock: Clock): void {
	state.use(clock);
}

/** Ongoing activity (an open terminal, a running task or attempt, a gateway session) until the returned call. */
export function hold(envId: string, kind: ActivityKind): () => void {
	return state.activity.hold(envId, kind);
}

/** A moment of activity (a request to one of the environment's services). */
export function touch(envId: string, kind: ActivityKind): void {
	state.activity.touch(envId, kind);
}

/**
 * A signed-in request to one of its services (forward_auth): activity, and when the environment is not
 * running (or its service has not answered since it was woken) the answer to send instead; null lets it through.
 */
export function serviceRequest(req: ServiceRequest, actor: AuditActor): Promise<Response | null> {
	return gateService(req, actor, state.activity, state.clock);
}

export function heldKinds(envId: string): ActivityKind[] {
	return state.activity.held(envId);
}

/** One sweep over (from, now] with the lifecycle clock (tests call this instead of waiting a minute). */
export function sweepOnce(from: number, now: number = state.clock.now()): sweeper.SweepAction[] {
	return sweeper.sweepOnce(state.activity, from, now);
}

const DEFAULT_SWEEP_MS = 60_000;

/** The background service; SPYRE_IDLE_SWEEP_MS=0 turns it off (tests sweep by hand), another number sets it. */
export function startSweeper(): void {
	if (process.env.SPYRE_IDLE_SWEEP_MS === '0') return;
	state.stop?.();
	state.stop = sweeper.startSweeper(state.activity, state.clock, Number(process.env.SPYRE_IDLE_SWEEP_MS) || DEFAULT_SWEEP_MS);
}

export function stopSweeper(): void {
	state.stop?.();
	state.stop = null;
}
