import { describe, expect, it } from 'vitest';
import { FailureLimiter, Semaphore } from './rate-limit';

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

describe('FailureLimiter.forgive', () => {
	it('takes back exactly one counted attempt', () => {
		const l = new FailureLimiter({ max: 2, windowMs: 1000 });
		l.fail('k', 10);
		l.fail('k', 20);
		expect(l.retryAfter('k', 30)).toBeGreaterThan(0);
		l.forgive('k', 20);
		expect(l.retryAfter('k', 30)).toBe(0);
		l.forgive('k', 999); // never counted: no effect
		l.fail('k', 40);
		expect(l.retryAfter('k', 50)).toBeGreaterThan(0);
	});
});

describe('Semaphore', () => {
	it('runs at most max at once, queues up to queue, refuses the rest at once', async () => {
		const s = new Semaphore(2, 1);
		const a = await s.tryAcquire();
		const b = await s.tryAcquire();
		expect(a && b).toBeTruthy();
		let cGot = false;
		const c = s.tryAcquire().then((r) => ((cGot = true), r));
		expect(await s.tryAcquire()).toBeNull(); // slots and queue full
		await Promise.resolve();
		expect(cGot).toBe(false);
		a!();
		const release = await c;
		expect(release).toBeTypeOf('function');
		expect(s.running).toBe(2);
		a!(); // a second call of the same release is ignored
		expect(s.running).toBe(2);
		b!();
		release!();
		expect(s.running).toBe(0);
	});
});
