import { describe, expect, it } from 'vitest';
import { LineSplitter } from './line-splitter';

function split(chunks: string[], max?: number): string[] {
	const lines: string[] = [];
	const s = new LineSplitter((l) => lines.push(l), max);
	for (const c of chunks) s.push(c);
	s.end();
	return lines;
}

describe('LineSplitter', () => {
	it.each([
		['one chunk', ['a\nb\nc\n'], ['a', 'b', 'c']],
		['lines across chunks', ['he', 'llo\nwor', 'ld\n'], ['hello', 'world']],
		['a last line without newline', ['a\nb'], ['a', 'b']],
		['empty lines are lines', ['\n\na\n'], ['', '', 'a']],
		['CRLF', ['a\r\nb\r', '\n'], ['a', 'b']],
		['a lone CR stays (progress bars)', ['50%\r100%\n'], ['50%\r100%']],
		['nothing', [], []],
		['only a newline', ['\n'], ['']]
	])('%s', (_name, chunks, want) => {
		expect(split(chunks)).toEqual(want);
	});

	it('emits an over-long partial line in pieces instead of growing', () => {
		const lines: string[] = [];
		const s = new LineSplitter((l) => lines.push(l), 4);
		s.push('abcdefghij');
		// Bounded before the newline ever comes: two full pieces out, 'ij' waits.
		expect(lines).toEqual(['abcd', 'efgh']);
		s.push('k\nxy\n');
		expect(lines).toEqual(['abcd', 'efgh', 'ijk', 'xy']);
	});

	it('splits a long complete line that arrived in one chunk', () => {
		expect(split(['abcdefghij\n'], 4)).toEqual(['abcd', 'efgh', 'ij']);
	});

	it('end() is idempotent', () => {
		const lines: string[] = [];
		const s = new LineSplitter((l) => lines.push(l));
		s.push('x');
		s.end();
		s.end();
		expect(lines).toEqual(['x']);
	});
});
