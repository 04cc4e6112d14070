import { describe, expect, it } from 'vitest';
import type { ConfigProblem } from '$lib/shared/types/configs';
import { lineIndexOf, problemPlace, problemRange } from './problem-ranges';

const p = (line: number | null, col: number | null, endLine?: number, endCol?: number): ConfigProblem => ({
	path: 'x',
	message: 'm',
	line,
	col,
	endLine,
	endCol,
	severity: 'error'
});

describe('problemRange', () => {
	const text = 'apiVersion: spyre/v1\nspec:\n  platfrom: {}\n';
	const doc = lineIndexOf(text);
	const slice = (r: { from: number; to: number }) => text.slice(r.from, r.to);

	it('maps 1-based line/col with an exclusive end', () => {
		expect(slice(problemRange(doc, p(3, 3, 3, 11)))).toBe('platfrom');
		expect(slice(problemRange(doc, p(1, 13, 1, 21)))).toBe('spyre/v1');
	});
	it('underlines the rest of the line without an end', () => {
		expect(slice(problemRange(doc, p(3, 3)))).toBe('platfrom: {}');
	});
	it('puts problems from a base on the first line', () => {
		expect(slice(problemRange(doc, p(null, null)))).toBe('apiVersion: spyre/v1');
	});
	it('clamps positions from a stale check instead of throwing', () => {
		const r = problemRange(doc, p(99, 50, 120, 3));
		expect(r.from).toBeLessThanOrEqual(text.length);
		expect(r.to).toBeGreaterThanOrEqual(r.from);
		const empty = lineIndexOf('');
		expect(problemRange(empty, p(1, 1, 1, 1))).toMatchObject({ from: 0, to: 0 });
	});
	it('gives an empty line a one-character-or-less range', () => {
		const r = problemRange(doc, p(4, 1, 4, 1));
		expect(r.to - r.from).toBeLessThanOrEqual(1);
	});
});

describe('problemPlace', () => {
	it('says where', () => {
		expect(problemPlace(p(3, 4))).toBe('line 3:4');
		expect(problemPlace(p(null, null))).toBe('from a base');
	});
});
