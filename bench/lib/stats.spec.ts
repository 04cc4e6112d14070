import { describe, expect, it } from 'vitest';
import { formatBytes, median, percentile, round } from './stats';

const oneTo100 = Array.from({ length: 100 }, (_, i) => i + 1);

describe('percentile (nearest rank)', () => {
	it('is the smallest value with at least p % of the samples at or below it', () => {
		expect(percentile(oneTo100, 50)).toBe(50);
		expect(percentile(oneTo100, 90)).toBe(90);
		expect(percentile(oneTo100, 99)).toBe(99);
		expect(percentile(oneTo100, 100)).toBe(100);
		expect(percentile(oneTo100, 0)).toBe(1);
		expect(percentile(oneTo100, 0.5)).toBe(1);
		expect(percentile(oneTo100, 99.5)).toBe(100);
	});
	it('p99 of 100 samples is not the maximum (the old floor(p·n) copy read one rank too high)', () => {
		const xs = [...oneTo100.slice(0, 99).map(() => 1), 1000];
		expect(percentile(xs, 99)).toBe(1);
		expect(percentile(xs, 100)).toBe(1000);
	});
	it('sorts a copy: order of the input does not matter and the input is kept', () => {
		const xs = [5, 1, 4, 2, 3];
		expect(percentile(xs, 50)).toBe(3);
		expect(percentile(xs, 80)).toBe(4);
		expect(xs).toEqual([5, 1, 4, 2, 3]);
	});
	it('always returns a measured value', () => {
		expect(percentile([10, 20], 50)).toBe(10);
		expect(percentile([10, 20], 51)).toBe(20);
		expect(percentile([7], 99)).toBe(7);
	});
	it('sorts +Infinity (a key that never echoed) last, so a miss in the top 1 % shows in p99', () => {
		const xs = [...Array.from({ length: 98 }, () => 1), Infinity, Infinity];
		expect(percentile(xs, 98)).toBe(1);
		expect(percentile(xs, 99)).toBe(Infinity);
	});
	it('is NaN for no samples and refuses a p outside 0..100', () => {
		expect(percentile([], 50)).toBeNaN();
		expect(() => percentile([1], 101)).toThrow(RangeError);
		expect(() => percentile([1], -1)).toThrow(RangeError);
		expect(() => percentile([1], NaN)).toThrow(RangeError);
	});
});

describe('median', () => {
	it('is the middle value of an odd count and the lower middle of an even count', () => {
		expect(median([3, 1, 2])).toBe(2);
		expect(median([4, 1, 3, 2])).toBe(2);
		expect(median([9, 1, 5, 7, 3])).toBe(5);
	});
});

describe('round and formatBytes', () => {
	it('rounds to the given digits', () => {
		expect(round(1.23456)).toBe(1.23);
		expect(round(1.25, 1)).toBe(1.3);
		expect(round(1234.5, 0)).toBe(1235);
	});
	it("is the app's formatter", () => {
		expect(formatBytes(64 * 1024 * 1024)).toBe('64 MiB');
	});
});
