// Keyed background jobs: at most one per key (an environment id) at a time, each with a recorded run,
// an AbortSignal that `cancel` fires, and one audit row when it ends. A job outlives the request that
// started it (a closed browser does not stop it); `settled` lets tests and shutdown wait for it.
// It never decides what a failure means for the environment: callers pass `onFailure` for that.

import * as audit from '../audit';
import type { AuditActor } from '../audit';
import { SpyreError, messageOf } from '../errors';
import { singleton } from '../singleton';
import type { RunKind } from '$lib/shared/types/environments';
import { createRun, interruptStaleRuns as interruptRuns, type Run } from './record';

/** The reason a cancelled job's signal carries, so work and callers can tell a cancel from a failure. */
export class JobCancelledError extends Error {
	constructor(message = 'Cancelled.') {
		super(message);
		this.name = 'JobCancelledError';
	}
}

export function isCancelled(err: unknown): err is JobCancelledError {
	return err instanceof JobCancelledError;
}

interface Job {
	kind: RunKind;
	runId: number;
	run: Run;
	abort: AbortController;
	done: Promise<void>;
	/** Set by `interruptAll` at shutdown: the run is already recorded as interrupted; nothing else is. */
	interrupted: boolean;
}

export interface JobSpec {
	/** An environment id: the run is recorded against it, and only one job per key runs at a time. */
	key: string;
	kind: RunKind;
	actor: AuditActor;
	/** Audit action and target, recorded once when the job ends (success or failure). */
	action: string;
	target: string;
	/** Why the job runs when nobody asked for it (an idle stop), said in its audit row. */
	detail?: string;
	configName?: string | null;
	configVersion?: number | null;
	configSnapshot?: string | null;
	work: (run: Run, signal: AbortSignal) => Promise<void>;
	/** Runs after the run is marked failed or cancelled, before the key is free again. */
	onFailure?: (err: unknown, run: Run) => Promise<void> | void;
}

const jobs = singleton('jobs.registry', () => new Map<string, Job>());

export function isBusy(key: string): boolean {
	return jobs.has(key);
}

export function busyKind(key: string): RunKind | null {
	return jobs.get(key)?.kind ?? null;
}

/**
 * Start `work` as the job for `key`; throws SpyreError('conflict') while another job holds the key.
 * The work starts synchronously (up to its first await), so state it sets first is visible on return.
 */
export function startJob(spec: JobSpec): Run {
	const busy = jobs.get(spec.key);
	if (busy) throw new SpyreError('conflict', `${spec.target} is busy (${busy.kind}); wait for it to finish.`);
	const run = createRun({
		environmentId: spec.key,
		kind: spec.kind,
		userId: spec.actor.userId ?? null,
		configName: spec.configName,
		configVersion: spec.configVersion,
		configSnapshot: spec.configSnapshot
	});
	// Registered before the work starts, so a job that fails synchronously still frees its key.
	const job: Job = { kind: spec.kind, runId: run.id, run, abort: new AbortController(), done: Promise.resolve(), interrupted: false };
	jobs.set(spec.key, job);
	job.done = execute(spec, run, job);
	return run;
}

async function execute(spec: JobSpec, run: Run, job: Job): Promise<void> {
	const signal = job.abort.signal;
	try {
		await spec.work(run, signal);
		run.finish('succeeded');
		audit.record(spec.actor, spec.action, spec.target, 'success', spec.detail);
	} catch (thrown) {
		// At shutdown the work fails because its connections close under it: that is an interruption, which
		// start-up reconciliation resolves, not a failure of the environment.
		if (job.interrupted) return;
		// Whatever the work threw on its way out of a cancel (an AbortError, a wrapped reason), it was a cancel.
		const err = signal.aborted && isCancelled(signal.reason) ? signal.reason : thrown;
		const message = messageOf(err);
		try {
			if (isCancelled(err)) {
				run.event('warning', message);
				run.finish('cancelled', message);
			} else {
				run.event('error', message);
				run.finish('failed', message);
			}
			await spec.onFailure?.(err, run);
		} catch (recordErr) {
			console.error('[spyre] could not record a failed job:', messageOf(recordErr));
		}
		audit.record(spec.actor, spec.action, spec.target, 'failure', [spec.detail, isCancelled(err) ? `cancelled: ${message}` : message].filter(Boolean).join(': '));
	} finally {
		if (jobs.get(spec.key) === job) jobs.delete(spec.key);
	}
}

/** Abort the job on `key`; it ends 'cancelled' once its work returns. False when nothing runs there. */
export function cancel(key: string, reason = 'Cancelled.'): boolean {
	const job = jobs.get(key);
	if (!job) return false;
	if (!job.abort.signal.aborted) job.abort.abort(new JobCancelledError(reason));
	return true;
}

/** Resolves when the key's current job (if any) has finished. For tests and shutdown. */
export async function settled(key: string): Promise<void> {
	await jobs.get(key)?.done;
}

/** Resolves when no job runs, including jobs started by jobs that were running. */
export async function settleAll(): Promise<void> {
	while (jobs.size > 0) await Promise.allSettled([...jobs.values()].map((j) => j.done));
}

/**
 * Shutdown: record every running job's run as interrupted before the process pulls its connections away,
 * so what the work throws afterwards is not recorded as a failure. The environments keep their transitional
 * status, which the next start-up reconciles (and a provision shows as "retry resumes from step X").
 */
export function interruptAll(reason = 'Spyre stopped while this was running'): number {
	for (const job of jobs.values()) {
		job.interrupted = true;
		job.run.finish('interrupted', reason);
	}
	return jobs.size;
}

/** Mark runs left 'running' by a previous process as interrupted; runs of live jobs are kept. */
export function interruptStaleRuns(): string[] {
	return interruptRuns(new Set([...jobs.values()].map((j) => j.runId)));
}
