// What every Spyre WebSocket (events, terminals, Claude task transcripts) agrees on, in one place for the
// browser and the server: the close codes, which of them a client retries, and how long it waits before it
// does. Pure: no DOM, no server imports.

/** Close codes. 44xx are ours; the client never retries the ones in NO_RETRY. */
export const CLOSE = {
	NORMAL: 1000,
	GOING_AWAY: 1001,
	INTERNAL: 1011,
	BAD_REQUEST: 4400,
	UNAUTHENTICATED: 4401,
	FORBIDDEN: 4403,
	NOT_FOUND: 4404,
	/** The thing exists but is not usable right now (stopped, no IP yet, host key changed): needs a person. */
	CONFLICT: 4409,
	/** The SSH link to the environment broke; what runs there lives on, so reconnecting is the cure. */
	SSH_LOST: 4500
} as const;

export type CloseCode = (typeof CLOSE)[keyof typeof CLOSE];

// 1000 is not retried: the server sends it only when the stream has really ended (a terminal's program
// exited, a task finished). 4401/4403/4404/4409 need a person; retrying would only spin.
const NO_RETRY = new Set<number>([CLOSE.NORMAL, CLOSE.BAD_REQUEST, CLOSE.UNAUTHENTICATED, CLOSE.FORBIDDEN, CLOSE.NOT_FOUND, CLOSE.CONFLICT]);

/** Whether a client should reconnect (with backoff) after the socket closed with `code`. */
export function isRetryableClose(code: number): boolean {
	return !NO_RETRY.has(code);
}

/** Reconnect delay: exponential with "equal jitter" (half fixed, half random), capped. */
export function backoffDelay(attempt: number, baseMs = 500, maxMs = 15_000, random: () => number = Math.random): number {
	const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
	return Math.round(exp / 2 + (exp / 2) * random());
}
