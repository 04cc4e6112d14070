import { describe, expect, it } from 'vitest';
import { originAllowed } from './origin';

describe('originAllowed', () => {
	const pub = 'https://spyre.example.com';
	it.each([
		[undefined, 'x', true],
		['https://spyre.example.com', 'internal:3000', true],
		['http://localhost:3000', 'localhost:3000', true],
		['https://evil.example.com', 'spyre.example.com', false],
		['http://localhost:3001', 'localhost:3000', false],
		['null', 'localhost:3000', false],
		['not a url', 'localhost:3000', false],
		['file://localhost:3000', 'localhost:3000', false]
	])('origin %j with host %j -> %j', (origin, host, ok) => {
		expect(originAllowed(origin, host, pub)).toBe(ok);
	});
});
