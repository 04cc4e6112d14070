// Keystroke -> echo timing for the terminal latency benchmark. Several sessions are typed into key by key
// in turn (the order flips every key), so a burst of load from other processes on the machine lands on
// every session alike instead of on whichever one happened to run during it: on a shared 2-core machine
// those bursts, not the paths being compared, otherwise decide the p99.
//
// A key counts when its exact echo arrives: the output since the key was sent, with terminal escape
// sequences (cursor moves, mode switches) removed, is the letter and nothing else. Any other visible
// output first (a redraw, a status line, a previous key's echo) or no echo within KEY_TIMEOUT_MS makes
// the key a miss. A miss is not dropped: it enters the percentiles at +Infinity (a key the user never saw
// echo is as slow as it gets), so one miss in the slowest 1 % makes p99 infinite and its target not met.
import { performance } from 'node:perf_hooks';
import { percentile, round } from './stats';
import { sleep, waitQuiet } from './terminal-harness';
import { visibleText } from './terminal-text';

export interface KeyIo {
	send(s: string): void;
	/** Subscribe to output; returns an unsubscribe. */
	onData(cb: (chunk: Buffer) => void): () => void;
}

export interface Samples {
	/** ms from send to the exact echo, for the keys that got one. */
	samples: number[];
	/** Keys with no output at all within KEY_TIMEOUT_MS. */
	timeouts: number;
	/** Keys whose first visible output was not their echo. */
	mismatches: number;
	/** What arrived instead of the echo, for the first few mismatches (JSON-escaped, so escapes show). */
	mismatchExamples: string[];
}

export const KEY_TIMEOUT_MS = 3000;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

const quiet = (io: KeyIo) => waitQuiet((cb) => io.onData(() => cb()), 150, 3000);

type KeyResult = { ms: number } | { miss: 'timeout' } | { miss: 'mismatch'; seen: string };

/** Send one letter; resolves with send -> its exact echo in ms, or a miss. */
async function timeKey(io: KeyIo, ch: string): Promise<KeyResult> {
	let seen = '';
	const echoed = new Promise<number | 'timeout' | 'mismatch'>((resolve) => {
		const done = (r: number | 'timeout' | 'mismatch') => {
			clearTimeout(timer);
			unsub();
			resolve(r);
		};
		const timer = setTimeout(() => done('timeout'), KEY_TIMEOUT_MS);
		const unsub = io.onData((chunk) => {
			const t = performance.now();
			seen += chunk.toString('latin1');
			const text = visibleText(seen);
			if (text === ch) done(t);
			else if (text !== '') done('mismatch');
		});
	});
	const t0 = performance.now();
	io.send(ch);
	const t1 = await echoed;
	if (typeof t1 === 'number') return { ms: t1 - t0 };
	return t1 === 'mismatch' ? { miss: t1, seen: `${JSON.stringify(ch)} -> ${JSON.stringify(seen)}` } : { miss: t1 };
}

/**
 * Untimed keys until the session is in its steady state: three in a row echoed exactly, then the line is
 * cleared. Without this, the start of a session lands in the first timed keys as misses that are not the
 * path's: sshd's late login notice, a prompt bash prints after the first key (the tty echoed that key
 * before readline started), tmux redrawing the screen when a client of its group attaches.
 */
async function settle(io: KeyIo): Promise<void> {
	let streak = 0;
	for (let tries = 0; tries < 30 && streak < 3; tries++) {
		const r = await timeKey(io, 'z');
		if ('ms' in r) streak++;
		else {
			streak = 0;
			await waitQuiet((cb) => io.onData(() => cb()), 300, 5000);
		}
	}
	if (streak < 3) throw new Error('a session never settled: no three keys in a row got their exact echo in 30 tries');
	io.send('\x15');
	await waitQuiet((cb) => io.onData(() => cb()), 300, 5000);
}

/**
 * Type `n` single letters into each session, taking turns key by key; each key waits for the previous
 * echo plus a random 5-30 ms gap (a typist, not a flood). Ctrl-U every 40 keys keeps the line from
 * wrapping (not timed). Returns one set of samples per session, in the order given.
 */
export async function typeInTurns(ios: KeyIo[], n: number): Promise<Samples[]> {
	const out: Samples[] = ios.map(() => ({ samples: [], timeouts: 0, mismatches: 0, mismatchExamples: [] }));
	for (const io of ios) await settle(io);
	await Promise.all(ios.map(quiet));
	for (let i = 0; i < n; i++) {
		if (i > 0 && i % 40 === 0) {
			for (const io of ios) io.send('\x15');
			await Promise.all(ios.map(quiet));
		}
		const order = ios.map((_, k) => k);
		if (i % 2 === 1) order.reverse();
		for (const k of order) {
			const r = await timeKey(ios[k], LETTERS[i % LETTERS.length]);
			if ('ms' in r) out[k].samples.push(r.ms);
			else {
				if (r.miss === 'timeout') out[k].timeouts++;
				else {
					out[k].mismatches++;
					if (out[k].mismatchExamples.length < 5) out[k].mismatchExamples.push(r.seen);
				}
				// Let the late echo or the other output end before the next key is timed.
				await quiet(ios[k]);
			}
			await sleep(5 + Math.random() * 25);
		}
	}
	for (const io of ios) io.send('\x15');
	return out;
}

/** A figure for the JSON report: JSON has no Infinity, so a miss-decided percentile is spelled out. */
const ms = (n: number): number | string => (Number.isFinite(n) ? round(n) : 'miss (no exact echo)');

/** Percentiles over every key typed, misses included at +Infinity. */
export function summary(r: Samples) {
	const all = [...r.samples, ...Array<number>(r.timeouts + r.mismatches).fill(Infinity)];
	const echoed = r.samples;
	return {
		keys: all.length,
		echoed: echoed.length,
		timeouts: r.timeouts,
		mismatches: r.mismatches,
		mismatchExamples: r.mismatchExamples,
		p50: percentile(all, 50),
		p90: percentile(all, 90),
		p99: percentile(all, 99),
		maxEchoed: echoed.length ? Math.max(...echoed) : NaN,
		meanEchoed: echoed.reduce((a, b) => a + b, 0) / echoed.length
	};
}

export type Summary = ReturnType<typeof summary>;

/** `summary` rounded for the report, with infinite percentiles spelled out. */
export function report(s: Summary) {
	return { ...s, p50: ms(s.p50), p90: ms(s.p90), p99: ms(s.p99), maxEchoed: ms(s.maxEchoed), meanEchoed: ms(s.meanEchoed) };
}

export const pooled = (rs: Samples[]): Samples => ({
	samples: rs.flatMap((r) => r.samples),
	timeouts: rs.reduce((a, r) => a + r.timeouts, 0),
	mismatches: rs.reduce((a, r) => a + r.mismatches, 0),
	mismatchExamples: rs.flatMap((r) => r.mismatchExamples).slice(0, 5)
});
