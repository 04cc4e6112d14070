import { describe, expect, it } from 'vitest';
import {
	applyRunEnd,
	applyRunLog,
	countByGroup,
	givenBack,
	liteOf,
	nodeUsage,
	orderProvisions,
	removeEnvRuns,
	RECENT_PROVISIONS,
	type EnvLite,
	type RunLogData,
	type NodeBase,
	type ProvisionItem
} from './dashboard-model';
import type { EnvironmentView } from '$lib/shared/types/environments';
import { environmentView } from '$lib/shared/types/environments.fixture';
import { removeRow, upsertRow } from '$lib/client/stores/environments-model';

const env = (id: string, status: EnvLite['status'], node = 'pve', cores = 1, memoryMb = 512, diskGb = 4): EnvLite => ({ id, hostname: id, status, node, cores, memoryMb, diskGb, stoppedBy: null });

const view = (id: string, status: EnvironmentView['status']): EnvironmentView => environmentView(id, { status });

const run = (runId: number, status: ProvisionItem['status'], startedAt: number, finishedAt: number | null = null, environmentId = 'a'): ProvisionItem => ({
	runId,
	environmentId,
	hostname: environmentId,
	status,
	phase: null,
	step: null,
	percent: null,
	error: null,
	configName: null,
	startedAt,
	finishedAt
});

describe('counts', () => {
	it('groups every status, missing with error and the transient ones as in progress', () => {
		const counts = countByGroup([env('a', 'running'), env('b', 'provisioning'), env('c', 'pending'), env('d', 'stopped'), env('e', 'missing'), env('f', 'error'), env('g', 'unknown')]);
		expect(counts).toEqual({ running: 1, busy: 2, stopped: 1, error: 2, unknown: 1 });
	});

	it('moves an environment between groups when its status changes, and adds a new one', () => {
		let envs = [env('a', 'pending')];
		envs = upsertRow(envs, liteOf(view('a', 'running')), 'bottom');
		expect(countByGroup(envs)).toMatchObject({ running: 1, busy: 0 });
		envs = upsertRow(envs, liteOf(view('b', 'pending')), 'bottom');
		expect(envs.map((e) => e.id)).toEqual(['a', 'b']);
		expect(countByGroup(removeRow(envs, 'a'))).toMatchObject({ running: 0, busy: 1 });
	});
});

describe('nodeUsage', () => {
	const node: NodeBase = { node: 'pve', status: 'online', maxcpu: 8, maxmem: 16 * 2 ** 30, maxdisk: 100 * 2 ** 30, other: { guests: 1, cores: 2, memoryMb: 2048, diskGb: 10 } };

	it('charges managed environments and other guests to their node, in MiB and GiB', () => {
		const [u] = nodeUsage([node], [env('a', 'running', 'pve', 2, 1024, 8), env('b', 'stopped', 'pve2', 4, 4096, 20)]);
		expect(u).toEqual({ node: 'pve', status: 'online', guests: 2, environments: 1, cores: { used: 4, max: 8 }, memoryMb: { used: 3072, max: 16384 }, diskGb: { used: 18, max: 100 } });
	});
});

describe('provisions', () => {
	it('lists running runs first, then at most RECENT_PROVISIONS finished ones, newest first', () => {
		const done = Array.from({ length: RECENT_PROVISIONS + 2 }, (_, i) => run(10 + i, 'succeeded', i, 100 + i));
		const ordered = orderProvisions([...done, run(2, 'running', 50), run(1, 'running', 40)]);
		expect(ordered.slice(0, 2).map((p) => p.runId)).toEqual([1, 2]);
		expect(ordered).toHaveLength(2 + RECENT_PROVISIONS);
		expect(ordered[2].runId).toBe(10 + RECENT_PROVISIONS + 1);
	});

	it('updates progress from step events and ignores other kinds of runs', () => {
		const items = [run(1, 'running', 0)];
		const moved = applyRunLog(items, { id: 'a', runId: 1, runKind: 'provision', ts: 5, kind: 'step', step: 'packages', phase: 'provision', percent: 60 }, () => 'a');
		expect(moved[0]).toMatchObject({ step: 'packages', phase: 'provision', percent: 60 });
		// A log line keeps the step it had.
		const logged = applyRunLog(moved, { id: 'a', runId: 1, runKind: 'provision', ts: 6, kind: 'output', step: null }, () => 'a');
		expect(logged[0]).toMatchObject({ step: 'packages', percent: 60 });
		expect(applyRunLog(items, { id: 'a', runId: 9, runKind: 'create', ts: 5, kind: 'step', step: 'x', percent: 10 }, () => 'a')).toBe(items);
	});

	it('shows a run begun elsewhere, but only for an environment it knows', () => {
		const d: RunLogData = { id: 'b', runId: 7, runKind: 'provision', ts: 9, kind: 'step', step: 'create', phase: 'create', percent: 5 };
		expect(applyRunLog([], d, () => 'box-b')[0]).toMatchObject({ runId: 7, hostname: 'box-b', status: 'running', percent: 5 });
		expect(applyRunLog([], d, () => null)).toEqual([]);
	});

	it('ends a run: success fills the bar, a late line does not reopen it, destroy drops it', () => {
		const ended = applyRunEnd([run(1, 'running', 0)], { id: 'a', runId: 1, runKind: 'provision', status: 'succeeded', error: null }, 42);
		expect(ended[0]).toMatchObject({ status: 'succeeded', percent: 100, finishedAt: 42 });
		const late = applyRunLog(ended, { id: 'a', runId: 1, runKind: 'provision', ts: 50, kind: 'step', step: 'again', percent: 10 }, () => 'a');
		expect(late[0]).toMatchObject({ status: 'succeeded', percent: 100 });
		const failed = applyRunEnd([run(1, 'running', 0)], { id: 'a', runId: 1, runKind: 'provision', status: 'failed', error: 'apt failed' }, 42);
		expect(failed[0]).toMatchObject({ status: 'failed', error: 'apt failed' });
		expect(removeEnvRuns(ended, 'a')).toEqual([]);
	});
});

describe('givenBack', () => {
	const cases: Array<[string, EnvLite[], ReturnType<typeof givenBack>]> = [
		['nothing stopped', [env('a', 'running', 'pve', 1, 2048)], { memoryMb: 0, stopped: 0, byLifecycle: 0 }],
		[
			'the configured memory of every stopped environment, counting the ones Spyre stopped',
			[env('a', 'running', 'pve', 1, 2048), env('b', 'stopped', 'pve', 1, 1024), { ...env('c', 'stopped', 'pve', 1, 4096), stoppedBy: 'idle' }, env('d', 'error', 'pve', 1, 512)],
			{ memoryMb: 5120, stopped: 2, byLifecycle: 1 }
		]
	];
	for (const [name, envs, want] of cases) it(name, () => expect(givenBack(envs)).toEqual(want));
});
