// Sign-in throttling policy. Three sliding windows, all counted BEFORE the password is compared (so 40
// parallel guesses cannot all slip past a check-then-act gap), plus a cap on concurrent bcrypt compares:
// - per (IP, username): the tight limit a single guesser hits first;
// - per IP: one address spraying many usernames;
// - per username, globally and slower: a distributed guess against one account. An address that signed
//   in as that user recently still passes it, so an attacker elsewhere cannot lock the real user out.
// A success takes its own attempt back and clears the (IP, username) window.

import { FailureLimiter, Semaphore } from './rate-limit';

const MINUTE = 60 * 1000;

export interface ThrottleLimits {
	pair: { max: number; windowMs: number };
	ip: { max: number; windowMs: number };
	user: { max: number; windowMs: number };
	/** Password checks running at once, and how many may wait for a slot before "too many" at once. */
	concurrent: number;
	queue: number;
}

export const DEFAULT_LIMITS: ThrottleLimits = {
	pair: { max: 5, windowMs: 15 * MINUTE },
	ip: { max: 30, windowMs: 15 * MINUTE },
	user: { max: 50, windowMs: 60 * MINUTE },
	concurrent: 4,
	queue: 8
};

export interface Ticket {
	ip: string;
	user: string;
	at: number;
}

export type Admission = { ok: true; ticket: Ticket } | { ok: false; retryAfterMs: number };

export class LoginThrottle {
	readonly #pair: FailureLimiter;
	readonly #ip: FailureLimiter;
	readonly #user: FailureLimiter;
	readonly checks: Semaphore;

	constructor(limits: ThrottleLimits = DEFAULT_LIMITS) {
		this.#pair = new FailureLimiter(limits.pair);
		this.#ip = new FailureLimiter(limits.ip);
		this.#user = new FailureLimiter(limits.user);
		this.checks = new Semaphore(limits.concurrent, limits.queue);
	}

	/**
	 * Decide and count in one synchronous step. `knownIp` is asked only when the global per-user limit is
	 * reached: whether this address signed in as this user recently.
	 */
	admit(ip: string, user: string, knownIp: () => boolean, now = Date.now()): Admission {
		const pairKey = `${ip}\0${user}`;
		let wait = Math.max(this.#pair.retryAfter(pairKey, now), this.#ip.retryAfter(ip, now));
		if (wait === 0) {
			const userWait = this.#user.retryAfter(user, now);
			if (userWait > 0 && !knownIp()) wait = userWait;
		}
		if (wait > 0) return { ok: false, retryAfterMs: wait };
		this.#pair.fail(pairKey, now);
		this.#ip.fail(ip, now);
		this.#user.fail(user, now);
		return { ok: true, ticket: { ip, user, at: now } };
	}

	/** The password was right: forget this attempt and the pair's earlier misses. */
	succeeded(t: Ticket): void {
		this.#pair.reset(`${t.ip}\0${t.user}`);
		this.#ip.forgive(t.ip, t.at);
		this.#user.forgive(t.user, t.at);
	}

	/** The attempt was counted but never evaluated (no free slot): it must not count against anyone. */
	unevaluated(t: Ticket): void {
		this.#pair.forgive(`${t.ip}\0${t.user}`, t.at);
		this.#ip.forgive(t.ip, t.at);
		this.#user.forgive(t.user, t.at);
	}
}
