// In-memory sliding-window limiter for failed logins, keyed per IP and per username. Memory is bounded:
// old buckets are swept on use. A restart forgets counts, which only ever favours the user.

export interface LimiterOptions {
	/** Failures allowed inside the window before the key is blocked. */
	max: number;
	windowMs: number;
	maxKeys?: number;
}

export class FailureLimiter {
	readonly #failures = new Map<string, number[]>();
	readonly #opts: Required<LimiterOptions>;
	constructor(opts: LimiterOptions) {
		this.#opts = { maxKeys: 10_000, ...opts };
	}

	#recent(key: string, now: number): number[] {
		const list = (this.#failures.get(key) ?? []).filter((t) => now - t < this.#opts.windowMs);
		if (list.length === 0) this.#failures.delete(key);
		else this.#failures.set(key, list);
		return list;
	}

	/** Milliseconds until `key` may try again; 0 when it is not blocked. */
	retryAfter(key: string, now = Date.now()): number {
		const list = this.#recent(key, now);
		if (list.length < this.#opts.max) return 0;
		return this.#opts.windowMs - (now - list[list.length - this.#opts.max]);
	}

	fail(key: string, now = Date.now()): void {
		const list = this.#recent(key, now);
		list.push(now);
		this.#failures.set(key, list);
		if (this.#failures.size > this.#opts.maxKeys) {
			const oldest = this.#failures.keys().next().value;
			if (oldest !== undefined) this.#failures.delete(oldest);
		}
	}

	reset(key: string): void {
		this.#failures.delete(key);
	}
}
