import { describe, expect, it } from 'vitest';
import { defaultPolicy, delayBefore, retryable, shouldRetry, succeeded, type AttemptOutcome } from './policy';

const p = { attempts: 3, timeoutMs: 5000, baseDelayMs: 1000, maxDelayMs: 3000 };

describe('retry policy', () => {
	it('is bounded by default: 3 attempts, a timeout each, capped backoff', () => {
		expect(defaultPolicy.attempts).toBe(3);
		expect(defaultPolicy.timeoutMs).toBeGreaterThan(0);
		expect(delayBefore(10)).toBeLessThanOrEqual(defaultPolicy.maxDelayMs);
	});

	it.each([
		[1, 0],
		[2, 1000],
		[3, 2000],
		[4, 3000],
		[9, 3000]
	])('waits before attempt %i: %i ms', (n, ms) => expect(delayBefore(n, p)).toBe(ms));

	it.each<[AttemptOutcome, boolean, boolean]>([
		[{ status: 200 }, true, false],
		[{ status: 204 }, true, false],
		[{ status: 302 }, false, false],
		[{ status: 400 }, false, false],
		[{ status: 404 }, false, false],
		[{ status: 408 }, false, true],
		[{ status: 429 }, false, true],
		[{ status: 500 }, false, true],
		[{ status: 503 }, false, true],
		[{ error: 'could not connect', timedOut: false }, false, true],
		[{ error: 'no answer', timedOut: true }, false, true]
	])('%o: succeeded %s, retryable %s', (o, ok, again) => {
		expect(succeeded(o)).toBe(ok);
		expect(retryable(o)).toBe(again);
	});

	it('retries a retryable failure only while attempts remain', () => {
		const down: AttemptOutcome = { status: 503 };
		expect(shouldRetry(1, down, p)).toBe(true);
		expect(shouldRetry(2, down, p)).toBe(true);
		expect(shouldRetry(3, down, p)).toBe(false);
		expect(shouldRetry(1, { status: 200 }, p)).toBe(false);
		expect(shouldRetry(1, { status: 401 }, p)).toBe(false);
	});
});
