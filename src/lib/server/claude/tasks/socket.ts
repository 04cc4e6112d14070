// WS /api/claude/:taskId?after=SEQ: the task as it is now, then its stored lines after SEQ, then live
// lines and task updates. A client that reconnects with the last seq it saw gets exactly what it missed.
// After the replay comes one `partial` frame with the reset flag and the partial blocks so far (what the
// CLI is still writing), then live partial frames: the replay and the snapshot run in one synchronous
// stretch, so the snapshot matches the last replayed event and the next frames continue it.
// Messages are TaskSocketMessage (src/lib/shared/types/claude.ts). Clients only listen.

import type { WebSocket } from 'ws';
import { CLOSE } from '$lib/shared/terminal-protocol';
import type { TaskEvent, TaskSocketMessage } from '$lib/shared/types/claude';
import { parseAfter, replayThenLive } from '../../ws';
import { subscribeTask } from './bus';
import { partialSnapshot } from './live-partial';
import { TASK_ID_RE } from './launcher';
import { eventsSince, getTask, toTaskView } from './repo';
import { getEnvironment } from '../../environments/repo';

const send = (ws: WebSocket, m: TaskSocketMessage) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(m));

export function handleTaskSocket(ws: WebSocket, taskId: string, params: URLSearchParams): void {
	const row = TASK_ID_RE.test(taskId) ? getTask(taskId) : undefined;
	if (!row) {
		send(ws, { kind: 'error', code: 'not_found', message: 'No such task.' });
		ws.close(CLOSE.NOT_FOUND, 'unknown task');
		return;
	}
	const after = parseAfter(params.get('after'), 0);
	if (after === null) {
		send(ws, { kind: 'error', code: 'bad_request', message: 'after must be a non-negative integer' });
		ws.close(CLOSE.BAD_REQUEST, 'bad after');
		return;
	}
	send(ws, { kind: 'task', task: toTaskView(row, getEnvironment(row.environment_id)?.hostname ?? null) });
	let snapshotSent = false;
	const seq = replayThenLive<TaskEvent>(ws, after, {
		subscribe: (listener) =>
			subscribeTask(taskId, (m) => {
				if (m.kind === 'event') listener(m.event);
				else if (m.kind === 'task') send(ws, { kind: 'task', task: m.task });
				else if (snapshotSent) send(ws, m.message);
			}),
		since: (s, limit) => eventsSince(taskId, s, limit),
		encode: (e) => JSON.stringify({ kind: 'event', ...e } satisfies TaskSocketMessage)
	});
	send(ws, { kind: 'hello', seq });
	send(ws, partialSnapshot(taskId));
	snapshotSent = true;
	ws.on('message', () => {});
}
