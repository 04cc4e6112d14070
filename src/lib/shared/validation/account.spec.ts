import { describe, expect, it } from 'vitest';
import { newAccountProblems, PASSWORD_HINT, PASSWORD_MAX, PASSWORD_MIN, passwordProblem, usernameProblem } from './account';

describe('account rules', () => {
	it('takes usernames of 1–64 safe characters starting with a letter or digit', () => {
		for (const u of ['a', 'admin', 'first.last', 'a_b-c', 'x'.repeat(64)]) expect(usernameProblem(u)).toBeNull();
		for (const u of ['', '.a', '-a', 'a b', 'x'.repeat(65), 'a/b']) expect(usernameProblem(u)).not.toBeNull();
	});

	it('wants passwords of at least PASSWORD_MIN characters and at most PASSWORD_MAX bytes', () => {
		expect(passwordProblem('x'.repeat(PASSWORD_MIN - 1))).toBe(`Use at least ${PASSWORD_MIN} characters.`);
		expect(passwordProblem('x'.repeat(PASSWORD_MIN))).toBeNull();
		expect(passwordProblem('x'.repeat(PASSWORD_MAX))).toBeNull();
		// 36 two-byte characters are 72 bytes; one more is past what bcrypt reads.
		expect(passwordProblem('é'.repeat(36))).toBeNull();
		expect(passwordProblem('é'.repeat(37))).toBe(`Use at most ${PASSWORD_MAX} bytes.`);
		expect(PASSWORD_HINT).toContain(String(PASSWORD_MIN));
	});

	it('checks the confirmation only once the password itself is acceptable', () => {
		expect(newAccountProblems('admin', 'long enough pw', 'long enough pw')).toEqual({});
		expect(newAccountProblems('admin', 'long enough pw', 'other')).toEqual({ confirm: 'The two passwords differ.' });
		expect(Object.keys(newAccountProblems('', 'short', 'x')).sort()).toEqual(['password', 'username']);
	});
});
