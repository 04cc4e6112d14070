import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { debounce } from './debounce';

describe('debounce', () => {
	beforeEach(() => void vi.useFakeTimers());
	afterEach(() => void vi.useRealTimers());

	it('runs once, after the last call of a burst', () => {
		const run = vi.fn();
		const soon = debounce(run, 100);
		soon();
		vi.advanceTimersByTime(80);
		soon();
		vi.advanceTimersByTime(80);
		expect(run).not.toHaveBeenCalled();
		vi.advanceTimersByTime(20);
		expect(run).toHaveBeenCalledTimes(1);
		soon();
		vi.advanceTimersByTime(100);
		expect(run).toHaveBeenCalledTimes(2);
	});

	it('runs nothing once cancelled', () => {
		const run = vi.fn();
		const soon = debounce(run, 100);
		soon();
		soon.cancel();
		vi.advanceTimersByTime(500);
		expect(run).not.toHaveBeenCalled();
	});
});
