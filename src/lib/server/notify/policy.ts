// The delivery policy, pure: how many attempts, how long each may take, how long to wait between them,
// and which outcomes are worth another attempt. A receiver that is down gets a bounded number of tries,
// never a storm; a receiver that says the request is wrong (4xx other than 408/429) is not asked again.

export interface RetryPolicy {
	attempts: number;
	timeoutMs: number;
	baseDelayMs: number;
	maxDelayMs: number;
}

export const defaultPolicy: RetryPolicy = { attempts: 3, timeoutMs: 5000, baseDelayMs: 1000, maxDelayMs: 10_000 };

/** One attempt's outcome: the receiver's HTTP status, or an error (network, timeout) with no status. */
export type AttemptOutcome = { status: number } | { error: string; timedOut: boolean };

export function succeeded(o: AttemptOutcome): boolean {
	return 'status' in o && o.status >= 200 && o.status < 300;
}

export function retryable(o: AttemptOutcome): boolean {
	if (!('status' in o)) return true;
	return o.status === 408 || o.status === 429 || o.status >= 500;
}

/** The wait before attempt `n` (1-based; 0 for the first): base, 2×base, 4×base … capped. */
export function delayBefore(n: number, p: RetryPolicy = defaultPolicy): number {
	return n <= 1 ? 0 : Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (n - 2));
}

/** Another attempt after attempt `n` ended with `o`? */
export function shouldRetry(n: number, o: AttemptOutcome, p: RetryPolicy = defaultPolicy): boolean {
	return !succeeded(o) && retryable(o) && n < p.attempts;
}
