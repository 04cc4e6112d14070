import { describe, expect, it } from 'vitest';
import { OffsetLineReader } from './line-reader';

describe('OffsetLineReader', () => {
	it('joins lines across chunks and counts their bytes, newline included', () => {
		const r = new OffsetLineReader(1000);
		expect(r.push('{"a":1}\n{"b"')).toEqual([{ text: '{"a":1}', bytes: 8, cutBytes: 0 }]);
		expect(r.pendingBytes).toBe(4);
		expect(r.push(':"é"}\n\n')).toEqual([
			{ text: '{"b":"é"}', bytes: 11, cutBytes: 0 },
			{ text: '', bytes: 1, cutBytes: 0 }
		]);
		expect(r.pendingBytes).toBe(0);
	});

	it('the bytes of all lines add up to the input, whatever the chunking', () => {
		const input = 'ab\nçdé\n' + 'x'.repeat(50) + '\n€€\nend';
		for (const size of [1, 2, 3, 7, 100]) {
			const r = new OffsetLineReader(16);
			let total = 0;
			for (let i = 0; i < input.length; i += size) for (const l of r.push(input.slice(i, i + size))) total += l.bytes;
			expect(total + r.pendingBytes).toBe(Buffer.byteLength(input));
		}
	});

	it('keeps only the head of an over-long line and says how much it dropped', () => {
		const r = new OffsetLineReader(10);
		r.push('0123456789abcdef');
		const [line] = r.push('ghij\nnext\n');
		expect(line).toEqual({ text: '0123456789', bytes: 21, cutBytes: 10 });
	});

	it('never cuts inside a character', () => {
		const r = new OffsetLineReader(6);
		const [line] = r.push('ab€€\n');
		expect(line.text).toBe('ab€');
		expect(line.bytes).toBe(9);
		expect(line.cutBytes).toBe(3);
	});

	it('hands back an unterminated last line', () => {
		const r = new OffsetLineReader(100);
		r.push('done\n{"type":"resu');
		expect(r.takeRest()).toEqual({ text: '{"type":"resu', bytes: 13, cutBytes: 0 });
		expect(r.takeRest()).toBeNull();
	});
});
