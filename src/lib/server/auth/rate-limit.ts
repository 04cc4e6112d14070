// In-memory building blocks for sign-in throttling: a sliding-window attempt counter per key, and a
// semaphore that caps how many expensive password checks run at once. Memory is bounded: old buckets are
// swept on use. A restart forgets counts, which only ever favours the user.

export interface LimiterOptions {
	/** Attempts allowed inside the window before the key is blocked. */
	max: number;
	windowMs: number;
	maxKeys?: number;
}

export class FailureLimiter {
	readonly #attempts = new Map<string, number[]>();
	readonly #opts: Required<LimiterOptions>;
	constructor(opts: LimiterOptions) {
		this.#opts = { maxKeys: 10_000, ...opts };
	}

	#recent(key: string, now: number): number[] {
		const list = (this.#attempts.get(key) ?? []).filter((t) => now - t < this.#opts.windowMs);
		if (list.length === 0) this.#attempts.delete(key);
		else this.#attempts.set(key, list);
		return list;
	}

	/** Milliseconds until `key` may try again; 0 when it is not blocked. */
	retryAfter(key: string, now = Date.now()): number {
		const list = this.#recent(key, now);
		if (list.length < this.#opts.max) return 0;
		return this.#opts.windowMs - (now - list[list.length - this.#opts.max]);
	}

	/** Count one attempt for `key` (whether or not it is blocked). */
	fail(key: string, now = Date.now()): void {
		const list = this.#recent(key, now);
		list.push(now);
		this.#attempts.set(key, list);
		if (this.#attempts.size > this.#opts.maxKeys) {
			const oldest = this.#attempts.keys().next().value;
			if (oldest !== undefined) this.#attempts.delete(oldest);
		}
	}

	/** Take back one attempt counted at `at` (it turned out to be a success, or was never evaluated). */
	forgive(key: string, at: number): void {
		const list = this.#attempts.get(key);
		if (!list) return;
		const i = list.lastIndexOf(at);
		if (i >= 0) list.splice(i, 1);
		if (list.length === 0) this.#attempts.delete(key);
	}

	reset(key: string): void {
		this.#attempts.delete(key);
	}
}

/**
 * Caps concurrent work (bcrypt compares on libuv's small thread pool). `tryAcquire` never waits longer
 * than the queue allows: past `max` running and `queue` waiting, the caller is told no at once, so a burst
 * of sign-ins cannot stall every other request behind the thread pool.
 */
export class Semaphore {
	#running = 0;
	readonly #waiting: Array<() => void> = [];
	constructor(
		readonly max: number,
		readonly queue: number
	) {}

	get running(): number {
		return this.#running;
	}

	/** Resolves with a release function, or null at once when both the slots and the queue are full. */
	tryAcquire(): Promise<(() => void) | null> {
		if (this.#running < this.max) {
			this.#running++;
			return Promise.resolve(this.#releaser());
		}
		if (this.#waiting.length >= this.queue) return Promise.resolve(null);
		return new Promise((resolve) => this.#waiting.push(() => resolve(this.#releaser())));
	}

	#releaser(): () => void {
		let done = false;
		return () => {
			if (done) return;
			done = true;
			const next = this.#waiting.shift();
			if (next)
				next(); // the slot passes straight to the next waiter
			else this.#running--;
		};
	}
}
