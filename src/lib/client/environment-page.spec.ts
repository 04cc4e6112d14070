import { describe, expect, it } from 'vitest';
import { provisionShown, runDuration, runsDespiteError, runTitle, terminalOpen, terminalWakes } from './environment-page';
import type { EnvironmentView } from '$lib/shared/types/environments';

describe('terminalOpen', () => {
	it.each([
		[{ status: 'running', liveStatus: 'running', ip: '10.0.0.5' }, true],
		[{ status: 'running', liveStatus: null, ip: null }, true],
		// A failed provision leaves a running CT: its terminal stays usable.
		[{ status: 'error', liveStatus: 'running', ip: '10.0.0.5' }, true],
		[{ status: 'error', liveStatus: 'running', ip: null }, false],
		[{ status: 'error', liveStatus: 'stopped', ip: '10.0.0.5' }, false],
		[{ status: 'error', liveStatus: null, ip: '10.0.0.5' }, false],
		[{ status: 'stopped', liveStatus: 'stopped', ip: '10.0.0.5' }, false],
		[{ status: 'provisioning', liveStatus: 'running', ip: '10.0.0.5' }, false]
	] as const)('%o → %s', (env, open) => {
		expect(terminalOpen(env)).toBe(open);
	});
	it('Stop applies to an errored CT that runs', () => {
		expect(runsDespiteError({ status: 'error', liveStatus: 'running' })).toBe(true);
		expect(runsDespiteError({ status: 'error', liveStatus: 'stopped' })).toBe(false);
		expect(runsDespiteError({ status: 'running', liveStatus: 'running' })).toBe(false);
	});
});

describe('provisionShown', () => {
	it('keeps a failed, cancelled, interrupted or running provision on screen whatever ran after it', () => {
		for (const status of ['failed', 'cancelled', 'interrupted', 'running'] as const) expect(provisionShown({ status }, false)).toBe(true);
	});
	it('hides a succeeded one unless this page watched it (a retry is a new run, still watched)', () => {
		expect(provisionShown({ status: 'succeeded' }, false)).toBe(false);
		expect(provisionShown({ status: 'succeeded' }, true)).toBe(true);
		expect(provisionShown(null, true)).toBe(false);
	});
});

describe('runs list', () => {
	it('names a run by kind, config and outcome', () => {
		expect(runTitle({ kind: 'provision', status: 'failed', configName: 'dev-web', configVersion: 3 })).toBe('Provision from dev-web v3 · failed');
		expect(runTitle({ kind: 'provision', status: 'failed', configName: 'dev-web', configVersion: null })).toBe('Provision from dev-web · failed');
		expect(runTitle({ kind: 'start', status: 'succeeded', configName: null, configVersion: null })).toBe('Start · succeeded');
	});
	it('says how long a run took', () => {
		expect(runDuration({ startedAt: 0, finishedAt: 42_000 }, 0)).toBe('42 s');
		expect(runDuration({ startedAt: 0, finishedAt: 185_000 }, 0)).toBe('3 min 5 s');
		expect(runDuration({ startedAt: 0, finishedAt: null }, 7_200_000)).toBe('2 h 0 min');
	});
});

describe('terminalWakes', () => {
	const cases: Array<[EnvironmentView['status'], number | null, boolean]> = [
		['stopped', 100, true],
		['stopped', null, false],
		['running', 100, false],
		['error', 100, false],
		['starting', 100, false]
	];
	for (const [status, vmid, wakes] of cases) {
		it(`${status} with ${vmid === null ? 'no CT' : 'a CT'}: ${wakes ? 'opening a terminal starts it' : 'no'}`, () => expect(terminalWakes({ status, vmid })).toBe(wakes));
	}
});
