// Keystroke -> echo timing for the terminal latency benchmark. Several sessions are typed into key by key
// in turn (the order flips every key), so a burst of load from other processes on the machine lands on
// every session alike instead of on whichever one happened to run during it: on a shared 2-core machine
// those bursts, not the paths being compared, otherwise decide the p99.
import { performance } from 'node:perf_hooks';
import { percentile, round, sleep, waitQuiet } from './terminal-harness';

export interface KeyIo {
	send(s: string): void;
	/** Subscribe to output; returns an unsubscribe. */
	onData(cb: (chunk: Buffer) => void): () => void;
}

export interface Samples {
	samples: number[];
	timeouts: number;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

const quiet = (io: KeyIo) => waitQuiet((cb) => io.onData(() => cb()), 150, 3000);

/** Send one letter; resolves with send -> first output chunk containing it, in ms (null after 3 s). */
async function timeKey(io: KeyIo, ch: string): Promise<number | null> {
	const echoed = new Promise<number | null>((resolve) => {
		const timer = setTimeout(() => {
			unsub();
			resolve(null);
		}, 3000);
		const unsub = io.onData((chunk) => {
			if (chunk.includes(ch)) {
				const t = performance.now();
				clearTimeout(timer);
				unsub();
				resolve(t);
			}
		});
	});
	const t0 = performance.now();
	io.send(ch);
	const t1 = await echoed;
	return t1 === null ? null : t1 - t0;
}

/**
 * Type `n` single letters into each session, taking turns key by key; each key waits for the previous
 * echo plus a random 5-30 ms gap (a typist, not a flood). Ctrl-U every 40 keys keeps the line from
 * wrapping (not timed). Returns one set of samples per session, in the order given.
 */
export async function typeInTurns(ios: KeyIo[], n: number): Promise<Samples[]> {
	const out: Samples[] = ios.map(() => ({ samples: [], timeouts: 0 }));
	await Promise.all(ios.map(quiet));
	for (let i = 0; i < n; i++) {
		if (i > 0 && i % 40 === 0) {
			for (const io of ios) io.send('\x15');
			await Promise.all(ios.map(quiet));
		}
		const order = ios.map((_, k) => k);
		if (i % 2 === 1) order.reverse();
		for (const k of order) {
			const ms = await timeKey(ios[k], LETTERS[i % LETTERS.length]);
			if (ms === null) {
				out[k].timeouts++;
				await quiet(ios[k]);
			} else out[k].samples.push(ms);
			await sleep(5 + Math.random() * 25);
		}
	}
	for (const io of ios) io.send('\x15');
	return out;
}

export function summary(r: Samples) {
	const s = [...r.samples].sort((a, b) => a - b);
	return {
		n: s.length,
		timeouts: r.timeouts,
		p50: round(percentile(s, 50)),
		p90: round(percentile(s, 90)),
		p99: round(percentile(s, 99)),
		max: round(s[s.length - 1]),
		mean: round(s.reduce((a, b) => a + b, 0) / s.length)
	};
}

export const pooled = (rs: Samples[]): Samples => ({ samples: rs.flatMap((r) => r.samples), timeouts: rs.reduce((a, r) => a + r.timeouts, 0) });
