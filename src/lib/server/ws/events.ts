// /api/events: the authenticated stream of server events. On connect it replays stored events after
// ?after=SEQ, then sends live ones, in order and without gaps or duplicates.

import type { WebSocket } from 'ws';
import * as events from '../events';
import type { ServerEvent } from '../events';

const REPLAY_BATCH = 500;

export function handleEvents(ws: WebSocket, params: URLSearchParams): void {
	const afterRaw = params.get('after');
	let after = afterRaw === null ? events.latestSeq() : Number(afterRaw);
	if (!Number.isSafeInteger(after) || after < 0) {
		ws.send(JSON.stringify({ type: 'error', code: 'bad_request', message: 'after must be a non-negative integer' }));
		ws.close(4400, 'bad after');
		return;
	}

	// Subscribe first and buffer, so nothing published during the replay is lost.
	const pending: ServerEvent[] = [];
	let replaying = true;
	const send = (e: ServerEvent) => {
		if (e.seq <= after || ws.readyState !== ws.OPEN) return;
		after = e.seq;
		ws.send(JSON.stringify(e));
	};
	const unsubscribe = events.subscribe((e) => (replaying ? pending.push(e) : send(e)));
	ws.on('close', unsubscribe);
	ws.on('error', unsubscribe);

	try {
		for (;;) {
			const batch = events.since(after, REPLAY_BATCH);
			for (const e of batch) send(e);
			if (batch.length < REPLAY_BATCH) break;
		}
		for (const e of pending) send(e);
	} finally {
		replaying = false;
		pending.length = 0;
	}
	ws.send(JSON.stringify({ type: 'hello', seq: after }));
	// Clients only listen here; anything they send is ignored.
	ws.on('message', () => {});
}
