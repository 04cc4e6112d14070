import { describe, expect, it } from 'vitest';
import { levenshtein, nearest } from './suggest';

describe('levenshtein', () => {
	it.each([
		['', '', 0],
		['abc', '', 3],
		['platform', 'platfrom', 2],
		['kitten', 'sitting', 3],
		['packages', 'packages', 0],
		['pakages', 'packages', 1]
	])('%s ↔ %s = %d', (a, b, d) => {
		expect(levenshtein(a, b)).toBe(d);
		expect(levenshtein(b, a)).toBe(d);
	});
});

describe('nearest', () => {
	const keys = ['platform', 'helper_script', 'provision', 'services', 'claude'];
	it('suggests a close typo', () => {
		expect(nearest('platfrom', keys)).toBe('platform');
		expect(nearest('servics', keys)).toBe('services');
		expect(nearest('provison', keys)).toBe('provision');
	});
	it('treats case-only differences as close', () => {
		expect(nearest('apiversion', ['apiVersion', 'kind'])).toBe('apiVersion');
	});
	it('offers nothing for a word far from every key', () => {
		expect(nearest('database', keys)).toBeNull();
		expect(nearest('x', keys)).toBeNull();
	});
});
