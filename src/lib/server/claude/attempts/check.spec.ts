import { describe, expect, it } from 'vitest';
import { checkCommand, checkSpec, cleanLine, CHECK_LIMITS } from './check';

describe('checkSpec', () => {
	it('fills the defaults', () => {
		expect(checkSpec({ run: 'npm test', user: null, timeout: null })).toEqual({ run: 'npm test', user: null, timeoutMs: CHECK_LIMITS.defaultTimeoutS * 1000 });
		expect(checkSpec(undefined)).toBeNull();
	});
});

describe('checkCommand', () => {
	it.each([
		{ spec: { run: 'npm test', user: null, timeoutMs: 1 }, dir: '/root/app', want: `cd /root/app && exec sh -c 'npm test'` },
		{ spec: { run: "echo 'x'; rm -rf $HOME", user: null, timeoutMs: 1 }, dir: "/srv/a'b", want: `cd '/srv/a'\\''b' && exec sh -c 'echo '\\''x'\\''; rm -rf $HOME'` },
		{ spec: { run: 'make check', user: 'dev', timeoutMs: 1 }, dir: '/home/dev/app', want: `su -s /bin/sh -c 'cd /home/dev/app && exec sh -c '\\''make check'\\''' -- dev` }
	])('$spec.run in $dir', ({ spec, dir, want }) => {
		expect(checkCommand(spec, dir)).toBe(want);
	});
});

describe('cleanLine (hostile CT output)', () => {
	it.each([
		{ line: 'ok 1 - passes', want: 'ok 1 - passes' },
		{ line: '\u001b[31mFAIL\u001b[0m', want: '[31mFAIL[0m' },
		{ line: 'a\tb\r', want: 'a b' },
		{ line: 'evil\u202eexe.txt', want: 'evilexe.txt' },
		{ line: 'x'.repeat(CHECK_LIMITS.lineChars + 10), want: `${'x'.repeat(CHECK_LIMITS.lineChars)}…` }
	])('$line', ({ line, want }) => {
		expect(cleanLine(line)).toBe(want);
	});
});
