import { describe, expect, it } from 'vitest';
import { HeadTailBuffer, trimContinuationStart, trimIncompleteEnd } from './output-buffer';

describe('HeadTailBuffer', () => {
	it('keeps everything while it fits', () => {
		const b = new HeadTailBuffer(20);
		b.push('hello ');
		b.push(Buffer.from('world'));
		expect(b.toString()).toBe('hello world');
		expect(b.truncated).toBe(false);
		expect(b.totalBytes).toBe(11);
	});

	it('keeps exactly the bound without a marker', () => {
		const b = new HeadTailBuffer(10);
		b.push('0123456789');
		expect(b.toString()).toBe('0123456789');
		expect(b.omittedBytes).toBe(0);
	});

	it.each([
		['one big chunk', ['abcdefghijklmnopqrstuvwxyz']],
		['byte by byte', 'abcdefghijklmnopqrstuvwxyz'.split('')],
		['uneven chunks', ['abc', 'defghijklmnopq', 'r', 'stuvwxy', 'z']]
	])('keeps the head and the tail with a marker (%s)', (_name, chunks) => {
		const b = new HeadTailBuffer(10);
		for (const c of chunks) b.push(c);
		expect(b.toString()).toBe('abcde\n… 16 bytes omitted …\nvwxyz');
		expect(b.truncated).toBe(true);
		expect(b.totalBytes).toBe(26);
		expect(b.omittedBytes).toBe(16);
	});

	it('stays bounded over many megabytes', () => {
		const b = new HeadTailBuffer(1024);
		const chunk = Buffer.alloc(64 * 1024, 'x');
		for (let i = 0; i < 200; i++) b.push(chunk);
		b.push('THE END');
		const text = b.toString();
		expect(text.length).toBeLessThan(1100);
		expect(text.endsWith('THE END')).toBe(true);
		expect(text).toContain(`… ${200 * 64 * 1024 + 7 - 1024} bytes omitted …`);
	});

	it('does not cut a UTF-8 character at either side of the marker', () => {
		const b = new HeadTailBuffer(8);
		b.push('ééééé' + 'x'.repeat(20) + 'ééééé'); // é is 2 bytes
		const text = b.toString();
		expect(text).not.toContain('\ufffd');
		expect(text.startsWith('éé')).toBe(true);
		expect(text.endsWith('éé')).toBe(true);
	});

	it('refuses a nonsensical bound', () => {
		expect(() => new HeadTailBuffer(1)).toThrow(RangeError);
		expect(() => new HeadTailBuffer(2.5)).toThrow(RangeError);
	});
});

describe('UTF-8 trimming', () => {
	it.each([
		['complete ascii', Buffer.from('ab'), 'ab'],
		['complete 2-byte', Buffer.from('aé'), 'aé'],
		['cut 2-byte', Buffer.from('aé').subarray(0, 2), 'a'],
		['cut 3-byte after 1', Buffer.from('a€').subarray(0, 2), 'a'],
		['cut 3-byte after 2', Buffer.from('a€').subarray(0, 3), 'a'],
		['complete 4-byte', Buffer.from('a😀'), 'a😀'],
		['cut 4-byte after 3', Buffer.from('a😀').subarray(0, 4), 'a']
	])('trimIncompleteEnd: %s', (_n, buf, want) => {
		expect(trimIncompleteEnd(buf).toString('utf8')).toBe(want);
	});

	it('trimContinuationStart drops the rest of a cut character only', () => {
		expect(trimContinuationStart(Buffer.from('€b').subarray(1)).toString()).toBe('b');
		expect(trimContinuationStart(Buffer.from('éb')).toString()).toBe('éb');
	});
});
