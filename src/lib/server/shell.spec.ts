import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { command, quote } from './shell';

// Each hostile string must come back byte-for-byte when a real shell evaluates the quoted form.
const hostile = [
	'',
	'plain',
	"it's",
	'$(touch /tmp/pwned)',
	'`id`',
	'a; rm -rf /',
	'a && b || c',
	'"double" and \'single\'',
	'new\nline',
	'tab\there',
	'*?[glob]',
	'~root',
	'-n',
	'--option=value',
	'back\\slash',
	'$HOME ${PATH}',
	'😀 unicode ünïcödé',
	"'''",
	'!history',
	'a|b>c<d',
	'#comment',
	'x'.repeat(5000)
];

describe('quote', () => {
	it.each(hostile)('round-trips %j through /bin/sh', (value) => {
		const out = execFileSync('/bin/sh', ['-c', `printf '%s' ${quote(value)}`]).toString();
		expect(out).toBe(value);
	});

	it.each(hostile)('round-trips %j through bash', (value) => {
		const out = execFileSync('/bin/bash', ['-c', `printf '%s' ${quote(value)}`]).toString();
		expect(out).toBe(value);
	});

	it('leaves safe words bare and quotes the rest', () => {
		expect(quote('abc-1.2')).toBe('abc-1.2');
		expect(quote('a b')).toBe("'a b'");
		expect(quote(42)).toBe('42');
	});

	it('refuses NUL', () => {
		expect(() => quote('a\0b')).toThrow(/NUL/);
	});
});

describe('command', () => {
	it('keeps every argument separate', () => {
		const line = command('printf', '%s|', 'a b', "c'd", '$(x)');
		const out = execFileSync('/bin/sh', ['-c', line]).toString();
		expect(out).toBe("a b|c'd|$(x)|");
	});
});
