// One webhook delivery: POST the JSON body, each attempt with its own timeout, retried by the policy
// (policy.ts), every attempt reported to `onAttempt` so the log shows progress. Redirects are not followed
// (a receiver must not bounce the body somewhere else). Error texts are Spyre's, never the URL (a secret).

import { setTimeout as sleep } from 'node:timers/promises';
import { defaultPolicy, delayBefore, shouldRetry, succeeded, type AttemptOutcome, type RetryPolicy } from './policy';

export interface SendResult {
	ok: boolean;
	attempts: number;
	last: AttemptOutcome;
}

export async function send(url: string, body: unknown, opts: { signal: AbortSignal; policy?: RetryPolicy; onAttempt?: (n: number, o: AttemptOutcome) => void }): Promise<SendResult> {
	const policy = opts.policy ?? defaultPolicy;
	const payload = JSON.stringify(body);
	let n = 0;
	let last: AttemptOutcome;
	for (;;) {
		n++;
		const wait = delayBefore(n, policy);
		if (wait > 0) await sleep(wait, undefined, { signal: opts.signal });
		last = await attempt(url, payload, policy.timeoutMs, opts.signal);
		opts.onAttempt?.(n, last);
		if (!shouldRetry(n, last, policy) || opts.signal.aborted) return { ok: succeeded(last), attempts: n, last };
	}
}

async function attempt(url: string, payload: string, timeoutMs: number, signal: AbortSignal): Promise<AttemptOutcome> {
	const timeout = AbortSignal.timeout(timeoutMs);
	try {
		const res = await fetch(url, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'user-agent': 'Spyre-notify' },
			body: payload,
			redirect: 'manual',
			signal: AbortSignal.any([signal, timeout])
		});
		// The answer's body is not read beyond releasing it: what a receiver says is not shown anywhere.
		await res.body?.cancel().catch(() => {});
		return { status: res.status };
	} catch (err) {
		if (timeout.aborted) return { error: `no answer within ${timeoutMs / 1000} s`, timedOut: true };
		if (signal.aborted) return { error: 'Spyre stopped before the receiver answered', timedOut: false };
		const cause = (err as { cause?: { code?: string } }).cause?.code;
		return { error: cause ? `could not connect (${cause})` : 'could not connect', timedOut: false };
	}
}

/** The log's words for an outcome. */
export function describeOutcome(o: AttemptOutcome): string {
	if ('status' in o) return o.status >= 300 && o.status < 400 ? `HTTP ${o.status} (redirects are not followed)` : `HTTP ${o.status}`;
	return o.error;
}
