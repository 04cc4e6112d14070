// The one set of summary statistics every benchmark uses (`npm run bench`): percentile, median, rounding,
// and byte counts through the app's own formatter. Pure functions, no I/O.
//
// Percentile = nearest rank: the smallest sample with at least p % of all samples at or below it, so a
// figure is always a value that was measured (never an interpolation between two runs), p99 of 100 samples
// is the 99th smallest (not the maximum) and p100 is the maximum. An earlier copy in the environments
// benchmark used floor(p·n) as the index, which reads one rank too high (p50 of 2 samples was the larger,
// p99 of 100 samples the maximum); this definition replaces both.
export { formatBytes } from '../../src/lib/shared/format-bytes';

/** Nearest-rank percentile of `values` (any order; not modified). NaN for no values; +Infinity sorts last. */
export function percentile(values: readonly number[], p: number): number {
	if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile wants 0..100, got ${p}`);
	if (values.length === 0) return NaN;
	const sorted = [...values].sort((a, b) => (a === b ? 0 : a < b ? -1 : 1));
	const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
	return sorted[rank - 1];
}

/**
 * The nearest-rank p50: for an odd count (the benchmarks judge on 3 or 5 sessions) the middle value; for an
 * even count the lower of the two middle ones. Always one session's own figure.
 */
export const median = (values: readonly number[]): number => percentile(values, 50);

export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
