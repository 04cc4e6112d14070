import { describe, expect, it } from 'vitest';
import { FailureLimiter } from './rate-limit';

describe('FailureLimiter', () => {
	it('blocks after max failures inside the window and reports when it lifts', () => {
		const l = new FailureLimiter({ max: 3, windowMs: 1000 });
		expect(l.retryAfter('ip', 0)).toBe(0);
		l.fail('ip', 0);
		l.fail('ip', 100);
		expect(l.retryAfter('ip', 200)).toBe(0);
		l.fail('ip', 200);
		expect(l.retryAfter('ip', 300)).toBe(700);
		expect(l.retryAfter('ip', 999)).toBe(1);
		expect(l.retryAfter('ip', 1000)).toBe(0);
	});

	it('keeps keys apart and forgets on reset', () => {
		const l = new FailureLimiter({ max: 1, windowMs: 1000 });
		l.fail('a', 0);
		expect(l.retryAfter('a', 1)).toBeGreaterThan(0);
		expect(l.retryAfter('b', 1)).toBe(0);
		l.reset('a');
		expect(l.retryAfter('a', 2)).toBe(0);
	});

	it('bounds memory', () => {
		const l = new FailureLimiter({ max: 1, windowMs: 10_000, maxKeys: 10 });
		for (let i = 0; i < 100; i++) l.fail(`k${i}`, 0);
		expect(l.retryAfter('k0', 1)).toBe(0);
		expect(l.retryAfter('k99', 1)).toBeGreaterThan(0);
	});
});
