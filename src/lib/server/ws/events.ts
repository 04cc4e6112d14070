// /api/events: the authenticated stream of server events. On connect it replays stored events after
// ?after=SEQ, then sends live ones, in order and without gaps or duplicates (the shared replay-then-live
// path that task transcripts use too).

import type { WebSocket } from 'ws';
import * as events from '../events';
import type { ServerEvent } from '../events';
import { CLOSE } from '$lib/shared/live-socket';
import { parseAfter, replayThenLive } from './replay-live';

export function handleEvents(ws: WebSocket, params: URLSearchParams): void {
	const after = parseAfter(params.get('after'), events.latestSeq());
	if (after === null) {
		ws.send(JSON.stringify({ type: 'error', code: 'bad_request', message: 'after must be a non-negative integer' }));
		ws.close(CLOSE.BAD_REQUEST, 'bad after');
		return;
	}
	const seq = replayThenLive<ServerEvent>(ws, after, {
		subscribe: (listener) => events.subscribe(listener),
		since: (from, limit) => events.since(from, limit),
		encode: (e) => JSON.stringify(e)
	});
	ws.send(JSON.stringify({ type: 'hello', seq }));
	// Clients only listen here; anything they send is ignored.
	ws.on('message', () => {});
}
