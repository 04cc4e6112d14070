import { describe, expect, it } from 'vitest';
import { backoffDelay, CLOSE, isRetryableClose } from './live-socket';

describe('live socket rules', () => {
	it.each([
		[CLOSE.NORMAL, false],
		[CLOSE.GOING_AWAY, true],
		[CLOSE.INTERNAL, true],
		[CLOSE.BAD_REQUEST, false],
		[CLOSE.UNAUTHENTICATED, false],
		[CLOSE.FORBIDDEN, false],
		[CLOSE.NOT_FOUND, false],
		[CLOSE.CONFLICT, false],
		[CLOSE.SSH_LOST, true],
		[1006, true]
	])('close %i retried: %s', (code, retried) => expect(isRetryableClose(code)).toBe(retried));

	it('backs off exponentially with half of each delay random, capped', () => {
		expect([0, 1, 2, 3].map((a) => backoffDelay(a, 500, 15_000, () => 0))).toEqual([250, 500, 1000, 2000]);
		expect(backoffDelay(3, 500, 15_000, () => 1)).toBe(4000);
		expect(backoffDelay(30, 500, 15_000, () => 1)).toBe(15_000);
		expect(backoffDelay(-1, 500, 15_000, () => 0)).toBe(250);
	});
});
