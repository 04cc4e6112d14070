import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shJoin, shQuote } from './quote';

const hostile = ['', 'plain', "it's", "'", "''", '$(touch /tmp/pwned)', '`id`', 'a b\tc\nd', '; rm -rf / #', '"double" \\ back', '*?[]{}~!&|<>', '--option', 'ünïcödé ✓'];

describe('shQuote', () => {
	it.each(hostile)('round-trips %j through a real sh', (s) => {
		const out = execFileSync('/bin/sh', ['-c', `printf '%s' ${shQuote(s)}`], { encoding: 'utf8' });
		expect(out).toBe(s);
	});

	it('leaves safe words bare and quotes the rest', () => {
		expect(shQuote('/usr/sbin/sshd')).toBe('/usr/sbin/sshd');
		expect(shQuote("it's")).toBe(`'it'\\''s'`);
		expect(shQuote('')).toBe(`''`);
	});

	it('joins arguments that sh splits back exactly', () => {
		const out = execFileSync('/bin/sh', ['-c', `for a in ${shJoin(hostile)}; do printf '[%s]' "$a"; done`], { encoding: 'utf8' });
		expect(out).toBe(hostile.map((h) => `[${h}]`).join(''));
	});

	it('refuses NUL', () => {
		expect(() => shQuote('a\0b')).toThrow();
	});
});
