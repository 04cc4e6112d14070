import { describe, expect, it } from 'vitest';
import { parseTaskQuery } from './query';

const parse = (qs: string) => parseTaskQuery(new URLSearchParams(qs));

describe('parseTaskQuery', () => {
	it('reads every filter; `to` includes its whole day', () => {
		const q = parse('status=running&environment=e1&from=2026-01-02&to=2026-01-03&page=3');
		expect(q.filter).toEqual({ status: 'running', environmentId: 'e1', from: Date.parse('2026-01-02T00:00:00Z'), to: Date.parse('2026-01-04T00:00:00Z') });
		expect(q.page).toBe(3);
		expect(q.form).toEqual({ status: 'running', environment: 'e1', from: '2026-01-02', to: '2026-01-03' });
	});

	it('no filter is everything, page 1', () => {
		expect(parse('')).toEqual({ filter: { status: undefined, environmentId: undefined, from: undefined, to: undefined }, page: 1, form: { status: '', environment: '', from: '', to: '' } });
	});

	it('ignores malformed days and clamps the page', () => {
		const q = parse('from=yesterday&to=2026-1-3&page=-4');
		expect(q.filter.from).toBeUndefined();
		expect(q.filter.to).toBeUndefined();
		expect(q.page).toBe(1);
		expect(parse('page=99999999').page).toBe(10_000);
	});

	it('refuses an unknown status', () => {
		expect(() => parse('status=runing')).toThrow(/Unknown task status "runing"/);
	});
});
