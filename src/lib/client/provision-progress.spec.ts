import { describe, expect, it } from 'vitest';
import type { RunEventView, RunPhase, RunView } from '$lib/shared/types/environments';
import type { ServerEventMap } from '$lib/shared/types/events';
import { appendBounded, applyLiveLine, progressOf, type RunLike } from './provision-progress';

let seq = 0;
function step(phase: RunPhase, name: string, index: number, total: number, percent: number): RunEventView {
	return { seq: ++seq, ts: seq, kind: 'step', step: name, message: `Doing ${name}`, phase, index, total, percent };
}
function log(message: string): RunEventView {
	return { seq: ++seq, ts: seq, kind: 'output', step: null, message };
}
function run(status: RunLike['status'], events: RunEventView[], phase: RunPhase | null = null): RunLike {
	return { status, phase, step: null, percent: null, events };
}
const states = (r: RunLike) => progressOf(r).phases.map((p) => [p.id, p.state, p.steps.map((s) => `${s.step}:${s.state}`), p.pendingCount]);

describe('progressOf', () => {
	it('shows the running step, the done ones and what is still to come', () => {
		const r = run('running', [step('create', 'vmid', 1, 3, 5), log('x'), step('create', 'create', 2, 3, 15)]);
		expect(states(r)).toEqual([
			['create', 'running', ['vmid:done', 'create:running'], 1],
			['helper', 'pending', [], 0],
			['provision', 'pending', [], 0]
		]);
		expect(progressOf(r).percent).toBe(15);
	});

	it('marks a phase without steps as skipped once a later one starts', () => {
		const r = run('running', [step('create', 'ssh', 1, 1, 30), step('provision', 'packages', 1, 4, 50)]);
		expect(states(r).map((p) => p[1])).toEqual(['done', 'skipped', 'running']);
		expect(progressOf(r).phases[2].pendingCount).toBe(3);
	});

	it('names the failed step and phase for Retry', () => {
		const r = run('failed', [step('create', 'ssh', 1, 1, 30), step('helper', 'script', 1, 1, 40), step('provision', 'scripts', 3, 4, 80)]);
		const p = progressOf(r);
		expect(p.failedStep).toBe('scripts');
		expect(p.failedPhase).toBe('provision');
		expect(p.phases.map((x) => x.state)).toEqual(['done', 'done', 'failed']);
		expect(p.phases[2].steps[0].state).toBe('failed');
		expect(p.percent).toBe(80);
	});

	it('treats phases before a retried run began as done', () => {
		const r = run('running', [step('provision', 'scripts', 3, 4, 80)]);
		expect(states(r).map((p) => p[1])).toEqual(['done', 'done', 'running']);
	});

	it('is 100% and all done on success; a step seen twice is one line', () => {
		const r = run('succeeded', [step('create', 'a', 1, 1, 10), step('provision', 'b', 1, 1, 60), step('provision', 'b', 1, 1, 60)]);
		const p = progressOf(r);
		expect(p.percent).toBe(100);
		expect(p.phases.map((x) => x.state)).toEqual(['done', 'skipped', 'done']);
		expect(p.phases[2].steps).toHaveLength(1);
		expect(p.failedStep).toBeNull();
	});

	it('falls back to the run row when no step carries progress', () => {
		const p = progressOf({ status: 'interrupted', phase: 'helper', step: 'script', percent: 42, events: [] });
		expect(p.percent).toBe(42);
		expect(p.failedStep).toBe('script');
		expect(p.phases.map((x) => x.state)).toEqual(['done', 'failed', 'pending']);
	});
});

describe('appendBounded', () => {
	it('drops the oldest lines past the bound', () => {
		let lines: number[] = [];
		for (let i = 0; i < 10; i++) lines = appendBounded(lines, i, 4);
		expect(lines).toEqual([6, 7, 8, 9]);
	});
});

describe('applyLiveLine', () => {
	const recorded: RunView = {
		id: 7,
		environmentId: 'env-a',
		kind: 'provision',
		status: 'running',
		phase: 'create',
		step: 'create',
		percent: 10,
		error: null,
		configName: 'dev-web',
		configVersion: null,
		configSnapshot: null,
		startedAt: 1,
		finishedAt: null,
		events: [{ seq: 1, ts: 1, kind: 'step', step: 'create', message: 'Create', phase: 'create', index: 1, total: 2, percent: 10 }]
	};
	const live = (over: Partial<ServerEventMap['env.log']>): ServerEventMap['env.log'] => ({
		id: 'env-a',
		runId: 7,
		runKind: 'provision',
		seq: 2,
		ts: 2,
		kind: 'output',
		step: 'create',
		message: 'hello',
		...over
	});

	it('appends a new line and moves step, phase and percent on with step lines', () => {
		const next = applyLiveLine(recorded, live({ kind: 'step', step: 'packages', phase: 'provision', index: 2, total: 2, percent: 60 }), 100);
		expect(next).not.toBe('reload');
		const r = next as RunView;
		expect(r.events.map((e) => e.seq)).toEqual([1, 2]);
		expect([r.phase, r.step, r.percent]).toEqual(['provision', 'packages', 60]);
		expect(recorded.events).toHaveLength(1);
	});
	it('leaves the run alone for a replayed line or another environment, and asks for a reload for another run', () => {
		expect(applyLiveLine(recorded, live({ seq: 1 }), 100)).toBeNull();
		expect(applyLiveLine(recorded, live({ id: 'env-b' }), 100)).toBeNull();
		expect(applyLiveLine(recorded, live({ runId: 8 }), 100)).toBe('reload');
	});
	it('ignores a run of another kind: a Start after a failed provision leaves the failure on screen', () => {
		expect(applyLiveLine(recorded, live({ runId: 8, runKind: 'start' }), 100)).toBeNull();
	});
	it('keeps at most maxLines lines', () => {
		const r = applyLiveLine(recorded, live({}), 1) as RunView;
		expect(r.events.map((e) => e.seq)).toEqual([2]);
	});
});
