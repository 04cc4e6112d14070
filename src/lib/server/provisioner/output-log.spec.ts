import { describe, expect, it } from 'vitest';
import { createOutputLog } from './output-log';

describe('createOutputLog', () => {
	it('records every line of a short output, nothing more', () => {
		const seen: string[] = [];
		const log = createOutputLog((l) => seen.push(l), { headLines: 5, tailLines: 2 });
		for (const l of ['a', 'b', 'c']) log.line(l);
		log.finish();
		expect(seen).toEqual(['a', 'b', 'c']);
		expect(log.totalLines).toBe(3);
	});

	it('keeps the head live and the tail at the end, with the count of what it left out', () => {
		const seen: string[] = [];
		const log = createOutputLog((l) => seen.push(l), { headLines: 3, tailLines: 2 });
		for (let i = 1; i <= 10; i++) log.line(`line ${i}`);
		expect(seen).toEqual(['line 1', 'line 2', 'line 3']);
		log.finish();
		expect(seen).toEqual(['line 1', 'line 2', 'line 3', '… 5 lines omitted …', 'line 9', 'line 10']);
	});

	it('does not repeat lines when the tail overlaps the head', () => {
		const seen: string[] = [];
		const log = createOutputLog((l) => seen.push(l), { headLines: 3, tailLines: 5 });
		for (let i = 1; i <= 5; i++) log.line(`${i}`);
		log.finish();
		expect(seen).toEqual(['1', '2', '3', '4', '5']);
	});

	it('stays bounded for a million lines and still knows the last ones', () => {
		const seen: string[] = [];
		const log = createOutputLog((l) => seen.push(l), { headLines: 10, tailLines: 10 });
		for (let i = 1; i <= 1_000_000; i++) log.line(`x${i}`);
		log.finish();
		expect(seen.length).toBe(21);
		expect(log.lastLines(2)).toEqual(['x999999', 'x1000000']);
	});

	it('cuts very long lines and strips a trailing CR', () => {
		const seen: string[] = [];
		const log = createOutputLog((l) => seen.push(l), { maxLineChars: 4 });
		log.line('abcdefgh');
		log.line('ok\r');
		expect(seen).toEqual(['abcd…', 'ok']);
	});
});
