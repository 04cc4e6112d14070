// WS /api/claude/:taskId?after=SEQ: the task as it is now, then its stored lines after SEQ, then live
// lines and task updates. A client that reconnects with the last seq it saw gets exactly what it missed.
// Messages are TaskSocketMessage (src/lib/types/claude.ts). Clients only listen.

import type { WebSocket } from 'ws';
import { CLOSE } from '$lib/terminal-protocol';
import type { TaskEvent, TaskSocketMessage } from '$lib/types/claude';
import { parseAfter, replayThenLive } from '../../ws/replay-live';
import { subscribeTask } from './bus';
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
	const seq = replayThenLive<TaskEvent>(ws, after, {
		subscribe: (listener) =>
			subscribeTask(taskId, (m) => {
				if (m.kind === 'event') listener(m.event);
				else send(ws, { kind: 'task', task: m.task });
			}),
		since: (s, limit) => eventsSince(taskId, s, limit),
		encode: (e) => JSON.stringify({ kind: 'event', ...e } satisfies TaskSocketMessage)
	});
	send(ws, { kind: 'hello', seq });
	ws.on('message', () => {});
}
