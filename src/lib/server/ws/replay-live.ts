// The one shape of a replayable live stream over a WebSocket (events, task transcripts): subscribe first
// and buffer, replay everything after the client's `after` from storage in batches, flush the buffer,
// then go live, sending each item once, in seq order. No gap (the subscription predates the replay) and
// no duplicate (anything at or below the last sent seq is dropped).

import type { WebSocket } from 'ws';

export interface ReplayLiveSource<T extends { seq: number }> {
	/** Start receiving live items; returns the unsubscribe function. */
	subscribe(listener: (item: T) => void): () => void;
	/** Stored items after `seq`, oldest first, at most `limit`. */
	since(seq: number, limit: number): T[];
	encode(item: T): string;
}

export interface ReplayLiveOptions {
	batch?: number;
}

/** Returns the seq the client is at after the replay (for a `hello` message). */
export function replayThenLive<T extends { seq: number }>(ws: WebSocket, after: number, source: ReplayLiveSource<T>, opts: ReplayLiveOptions = {}): number {
	const batchSize = opts.batch ?? 500;
	let last = after;
	const pending: T[] = [];
	let replaying = true;
	const send = (item: T) => {
		if (item.seq <= last || ws.readyState !== ws.OPEN) return;
		last = item.seq;
		ws.send(source.encode(item));
	};
	const unsubscribe = source.subscribe((item) => (replaying ? pending.push(item) : send(item)));
	ws.on('close', unsubscribe);
	ws.on('error', unsubscribe);
	try {
		for (;;) {
			const batch = source.since(last, batchSize);
			for (const item of batch) send(item);
			if (batch.length < batchSize) break;
		}
		pending.sort((a, b) => a.seq - b.seq);
		for (const item of pending) send(item);
	} finally {
		replaying = false;
		pending.length = 0;
	}
	return last;
}

/** `?after=` as a non-negative integer, or null when it is not one. */
export function parseAfter(raw: string | null, fallback: number): number | null {
	if (raw === null) return fallback;
	const n = Number(raw);
	return Number.isSafeInteger(n) && n >= 0 ? n : null;
}
