import { describe, expect, it } from 'vitest';
import { attemptHostnames } from './names';

describe('attemptHostnames', () => {
	it.each([
		{ base: 'web', count: 3, taken: [] as string[], want: ['web-a1', 'web-a2', 'web-a3'] },
		{ base: 'web', count: 2, taken: ['web-a2'], want: ['web-b1', 'web-b2'] },
		{ base: 'x'.repeat(63), count: 2, taken: [], want: [`${'x'.repeat(60)}-a1`, `${'x'.repeat(60)}-a2`] },
		{ base: `${'y'.repeat(59)}-z`, count: 2, taken: [], want: [`${'y'.repeat(59)}-a1`, `${'y'.repeat(59)}-a2`] }
	])('$base ×$count (taken $taken)', ({ base, count, taken, want }) => {
		expect(attemptHostnames(base, count, (h) => taken.includes(h))).toEqual(want);
	});

	it('gives up when every series is taken', () => {
		expect(attemptHostnames('web', 2, () => true)).toBeNull();
	});

	it('every name fits one DNS label', () => {
		for (const h of attemptHostnames('a'.repeat(63), 8, () => false)!) expect(h.length).toBeLessThanOrEqual(63);
	});
});
