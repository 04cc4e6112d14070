// Folds a provision run's recorded events into what the progress view draws: the three phases, the steps
// seen in each (done, running, failed), how many are still to come, and the overall percent. Pure, so
// the same events give the same picture after a reload as they did live.

import type { RunEventView, RunPhase, RunStatus, RunView } from '$lib/shared/types/environments';
import type { ServerEventMap } from '$lib/shared/types/events';
import { lineOf } from './stores/environments-model';

export type StepState = 'done' | 'running' | 'failed' | 'pending' | 'skipped';

export interface StepLine {
	/** The step's key (what Retry takes as `fromStep`). */
	step: string;
	label: string;
	state: StepState;
	index: number | null;
}

export interface PhaseView {
	id: RunPhase;
	label: string;
	state: StepState;
	steps: StepLine[];
	/** Steps announced (from `total`) but not reached yet. */
	pendingCount: number;
}

export interface ProgressView {
	phases: PhaseView[];
	percent: number;
	/** The step that failed (or was interrupted), for Retry. */
	failedStep: string | null;
	failedPhase: RunPhase | null;
}

export const PHASES: ReadonlyArray<{ id: RunPhase; label: string }> = [
	{ id: 'create', label: 'Create' },
	{ id: 'helper', label: 'Helper script' },
	{ id: 'provision', label: 'Provision' }
];

export interface RunLike {
	status: RunStatus;
	phase: RunPhase | null;
	step: string | null;
	percent: number | null;
	events: RunEventView[];
}

const clamp = (n: number) => Math.max(0, Math.min(100, Math.round(n)));

export function progressOf(run: RunLike): ProgressView {
	const phaseIndex = new Map(PHASES.map((p, i) => [p.id, i]));
	const steps = new Map<RunPhase, StepLine[]>(PHASES.map((p) => [p.id, []]));
	const totals = new Map<RunPhase, number>();
	let percent: number | null = null;
	let last: { phase: RunPhase; line: StepLine } | null = null;
	let firstPhase: number | null = null;
	let lastPhase = -1;

	for (const e of run.events) {
		if (typeof e.percent === 'number') percent = e.percent;
		if (e.kind !== 'step' || !e.phase || !phaseIndex.has(e.phase)) continue;
		const pi = phaseIndex.get(e.phase)!;
		firstPhase ??= pi;
		lastPhase = Math.max(lastPhase, pi);
		if (typeof e.total === 'number') totals.set(e.phase, e.total);
		const list = steps.get(e.phase)!;
		const key = e.step ?? e.message;
		// A step seen again (a retry inside the same run) replaces its line instead of adding a second.
		const existing = list.find((s) => s.step === key);
		if (last) last.line.state = 'done';
		const line = existing ?? { step: key, label: e.message, state: 'running' as StepState, index: e.index ?? null };
		line.label = e.message;
		line.state = 'running';
		if (!existing) list.push(line);
		last = { phase: e.phase, line };
	}

	const finished = run.status !== 'running';
	const failed = run.status === 'failed' || run.status === 'interrupted' || run.status === 'cancelled';
	if (last && finished) last.line.state = failed ? 'failed' : 'done';
	if (run.phase && phaseIndex.has(run.phase)) lastPhase = Math.max(lastPhase, phaseIndex.get(run.phase)!);

	const phases: PhaseView[] = PHASES.map((p, i) => {
		const list = steps.get(p.id)!;
		const seen = list.length;
		const total = totals.get(p.id) ?? 0;
		let state: StepState;
		if (run.status === 'succeeded') state = seen === 0 && i > (firstPhase ?? 0) ? 'skipped' : 'done';
		// A run that started later (a retry from a later step) had its earlier phases done by a previous run;
		// so did one whose early steps fell out of the bounded event window.
		else if (i < (firstPhase ?? lastPhase)) state = 'done';
		else if (i < lastPhase) state = seen === 0 ? 'skipped' : 'done';
		else if (i === lastPhase) state = failed ? 'failed' : 'running';
		else state = 'pending';
		const highest = list.reduce((m, s) => Math.max(m, s.index ?? 0), 0);
		const pendingCount = state === 'running' || state === 'pending' || state === 'failed' ? Math.max(0, total - Math.max(highest, seen)) : 0;
		return { id: p.id, label: p.label, state, steps: list, pendingCount };
	});

	const failedLine = failed ? last : null;
	return {
		phases,
		percent: run.status === 'succeeded' ? 100 : clamp(percent ?? run.percent ?? 0),
		failedStep: failed ? (failedLine?.line.step ?? run.step) : null,
		failedPhase: failed ? (failedLine?.phase ?? run.phase) : null
	};
}

/** Keep at most `max` lines, dropping the oldest (the log view is bounded however long a run talks). */
export function appendBounded<T>(lines: readonly T[], line: T, max: number): T[] {
	const next = lines.length >= max ? lines.slice(lines.length - max + 1) : lines.slice();
	next.push(line);
	return next;
}

/**
 * One live `env.log` line applied to the recorded run the page shows: the run with the line (and its step,
 * phase and percent moved on), `'reload'` when the line belongs to another run of the same kind (a retry,
 * or a run started elsewhere: load that one whole), or null when there is nothing to change (another
 * environment, a replay, or a run of another kind: a Start after a failed provision must not replace the
 * failure on screen).
 */
export function applyLiveLine(run: RunView, d: ServerEventMap['env.log'], maxLines: number): RunView | 'reload' | null {
	if (d.id !== run.environmentId) return null;
	if (d.runId !== run.id) return d.runKind === run.kind ? 'reload' : null;
	const last = run.events.at(-1);
	if (last && d.seq <= last.seq) return null;
	const line = lineOf(d);
	const next: RunView = { ...run, events: appendBounded(run.events, line, maxLines) };
	if (line.kind === 'step') {
		if (line.phase) next.phase = line.phase;
		next.step = line.step;
		if (typeof line.percent === 'number') next.percent = line.percent;
	}
	return next;
}
