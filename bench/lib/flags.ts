// Command-line flags of the benchmarks (`npm run bench NAME -- --cts 200`): bench/run.ts leaves every
// `--name value` pair to the benchmarks, which read theirs here.

/** `--name value` from the command line. */
export function flag(name: string): string | undefined {
	const i = process.argv.indexOf(`--${name}`);
	return i === -1 ? undefined : process.argv[i + 1];
}

/** A positive integer flag, `fallback` when absent; a clear error naming the flag otherwise. */
export function intFlag(name: string, fallback: number): number {
	const v = flag(name);
	if (v === undefined) return fallback;
	const n = Number(v);
	if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} wants a positive integer, got ${v}`);
	return n;
}
