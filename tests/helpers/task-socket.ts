// A task socket client that sees what the task page sees: it reduces WS /api/claude/:id messages with the
// page's own rules ($lib/shared/task-partial.ts), so a test or the bench asserts on the transcript a
// person would read (stored events, then the partial blocks still being written), with arrival times.
import { performance } from 'node:perf_hooks';
import { afterEvent, applyPartialFrame, type PartialBlock } from '../../src/lib/shared/task-partial';
import type { TaskEvent, TaskSocketMessage } from '../../src/lib/shared/types/claude';
import { openEvents, type EventsClient } from './spyre';

export interface TaskSocketClient {
	socket: EventsClient;
	events: TaskEvent[];
	partial: PartialBlock[];
	/** Each partial frame as it arrived: when (epoch ms, fractional) and the reset flag. */
	frames: Array<{ at: number; reset: boolean; pieces: number }>;
	/** Called after every message, with its arrival time (epoch ms, fractional). */
	onChange: ((at: number, message: TaskSocketMessage) => void) | null;
	/** Resolves once `pred` holds after some message (or already holds). */
	until(pred: () => boolean, timeoutMs: number, what: string): Promise<void>;
	close(): void;
}

export async function openTaskSocket(url: string, cookie: string, taskId: string, after = 0): Promise<TaskSocketClient> {
	const socket = await openEvents(url, cookie, after, { path: `/api/claude/${taskId}` });
	const waiters = new Set<() => void>();
	const client: TaskSocketClient = {
		socket,
		events: [],
		partial: [],
		frames: [],
		onChange: null,
		until(pred, timeoutMs, what) {
			if (pred()) return Promise.resolve();
			return new Promise((resolve, reject) => {
				const check = () => {
					if (!pred()) return;
					clearTimeout(timer);
					waiters.delete(check);
					resolve();
				};
				const timer = setTimeout(() => {
					waiters.delete(check);
					reject(new Error(`task socket: ${what} did not happen within ${timeoutMs} ms`));
				}, timeoutMs);
				waiters.add(check);
			});
		},
		close: () => socket.close()
	};
	const handle = (m: TaskSocketMessage, at: number) => {
		if (m.kind === 'event') {
			if (m.seq > (client.events.at(-1)?.seq ?? 0)) {
				client.events.push({ seq: m.seq, ts: m.ts, type: m.type, data: m.data });
				client.partial = afterEvent(client.partial, m);
			}
		} else if (m.kind === 'partial') {
			client.partial = applyPartialFrame(client.partial, m);
			client.frames.push({ at, reset: m.reset === true, pieces: m.pieces.length });
		}
		client.onChange?.(at, m);
		for (const w of [...waiters]) w();
	};
	// Frames that came with the handshake were read before this function resumed (openEvents kept them):
	// take them first, then listen, in one synchronous stretch so nothing falls between.
	for (const m of socket.messages) handle(m as unknown as TaskSocketMessage, performance.timeOrigin + performance.now());
	socket.ws.on('message', (raw) => handle(JSON.parse(raw.toString()) as TaskSocketMessage, performance.timeOrigin + performance.now()));
	return client;
}

/** The text blocks of the stored assistant events, in order. */
export function assistantTexts(events: TaskEvent[]): string[] {
	return events
		.filter((e) => e.type === 'assistant')
		.flatMap((e) => ((e.data.message as { content?: Array<{ type: string; text?: string }> }).content ?? []).filter((c) => c.type === 'text').map((c) => c.text ?? ''));
}
