import { describe, expect, it } from 'vitest';
import { CONFIG_NAME_RE, configNameProblem, RESERVED_CONFIG_NAMES } from './config-name';

describe('configNameProblem', () => {
	it('accepts slugs up to 63 characters', () => {
		for (const n of ['web', 'node-20', '0x', 'a'.repeat(63)]) {
			expect(configNameProblem(n)).toBeNull();
			expect(CONFIG_NAME_RE.test(n)).toBe(true);
		}
	});

	it.each([
		['', 'Enter a name.'],
		['a'.repeat(64), 'A name has at most 63 characters.'],
		['Web', /lowercase letters, digits and hyphens/],
		['-web', /lowercase letters/],
		['../etc', /lowercase letters/],
		['check', /reserved/],
		['schema', /reserved/],
		['new', /reserved/]
	])('refuses %j', (name, message) => expect(configNameProblem(name)).toMatch(message));

	it('refuses a name already taken', () => {
		expect(configNameProblem('web', ['web'])).toBe('A config named web already exists.');
		expect([...RESERVED_CONFIG_NAMES].every((n) => CONFIG_NAME_RE.test(n))).toBe(true);
	});
});
