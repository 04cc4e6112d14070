import { describe, expect, it } from 'vitest';
import { countTotals, retally, type EnvironmentTotals, type KnownBefore } from './environment-totals';
import type { EnvironmentStatus } from './types/environments';

describe('countTotals', () => {
	it('counts every environment, and the running ones', () => {
		const statuses: EnvironmentStatus[] = ['running', 'stopped', 'pending', 'running', 'error'];
		expect(countTotals(statuses.map((status) => ({ status })))).toEqual({ all: 5, running: 2 });
		expect(countTotals([])).toEqual({ all: 0, running: 0 });
	});
});

describe('retally', () => {
	const t: EnvironmentTotals = { all: 3, running: 1 };
	it.each<[string, KnownBefore, EnvironmentStatus | 'removed', EnvironmentTotals | null]>([
		['a created environment counts at once', 'new', 'pending', { all: 4, running: 1 }],
		['one that comes up starts running', 'creating', 'running', { all: 3, running: 2 }],
		['one that stops no longer runs', 'running', 'stopping', { all: 3, running: 0 }],
		['a removed one leaves', 'destroying', 'removed', { all: 2, running: 1 }],
		['a removed running one leaves both', 'running', 'removed', { all: 2, running: 0 }],
		['an unheld one cannot be counted', 'unknown', 'pending', null],
		['nor its removal', 'unknown', 'removed', null]
	])('%s', (_what, before, after, want) => {
		expect(retally(t, before, after)).toEqual(want);
	});

	it('gives the same totals back when nothing changed', () => {
		expect(retally(t, 'provisioning', 'stopping')).toBe(t);
	});
});
