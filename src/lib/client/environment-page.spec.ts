import { describe, expect, it } from 'vitest';
import { provisionShown, runDuration, runsDespiteError, runTitle, terminalOpen } from './environment-page';

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
		for (const status of ['failed', 'cancelled', 'interrupted', 'running'] as const) expect(provisionShown({ id: 3, status }, null)).toBe(true);
	});
	it('hides a succeeded one unless it was watched on this page', () => {
		expect(provisionShown({ id: 3, status: 'succeeded' }, null)).toBe(false);
		expect(provisionShown({ id: 3, status: 'succeeded' }, 3)).toBe(true);
		expect(provisionShown({ id: 3, status: 'succeeded' }, 2)).toBe(false);
		expect(provisionShown(null, 3)).toBe(false);
	});
});

describe('runs list', () => {
	it('names a run by kind, config and outcome', () => {
		expect(runTitle({ kind: 'provision', status: 'failed', configName: 'dev-web' })).toBe('Provision from dev-web · failed');
		expect(runTitle({ kind: 'start', status: 'succeeded', configName: null })).toBe('Start · succeeded');
	});
	it('says how long a run took', () => {
		expect(runDuration({ startedAt: 0, finishedAt: 42_000 }, 0)).toBe('42 s');
		expect(runDuration({ startedAt: 0, finishedAt: 185_000 }, 0)).toBe('3 min 5 s');
		expect(runDuration({ startedAt: 0, finishedAt: null }, 7_200_000)).toBe('2 h 0 min');
	});
});
