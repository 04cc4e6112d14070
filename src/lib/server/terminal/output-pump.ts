// Terminal output to the browser with backpressure, and the counters benchmarks and tests read.

import type { WebSocket } from 'ws';

const DRAIN_POLL_MS = 20;

/** Counters for benchmarks and tests. */
export const terminalStats = { active: 0, attaches: 0, pauses: 0, maxBufferedAmount: 0 };

type PumpSocket = Pick<WebSocket, 'send' | 'bufferedAmount' | 'readyState' | 'OPEN'>;
type PumpStream = Pick<NodeJS.ReadableStream, 'on' | 'pause' | 'resume' | 'isPaused'>;

/**
 * Copy terminal output to the browser with backpressure: when more than `high` bytes are queued in the
 * WebSocket (the browser or its network is slower than the program's output), pause the SSH stream;
 * SSH flow control then stops the remote side. Resume once the queue is below `low`. Polling is used
 * because ws emits no drain event; 20 ms is far below what a person notices.
 */
export function createOutputPump(ws: PumpSocket, stream: PumpStream, opts: { high: number; low: number; pollMs?: number }): { stop(): void } {
	let timer: NodeJS.Timeout | null = null;
	const stop = () => {
		if (timer) clearInterval(timer);
		timer = null;
	};
	stream.on('data', (chunk: Buffer) => {
		if (ws.readyState !== ws.OPEN) return;
		ws.send(chunk);
		const buffered = ws.bufferedAmount;
		if (buffered > terminalStats.maxBufferedAmount) terminalStats.maxBufferedAmount = buffered;
		if (buffered > opts.high && !stream.isPaused()) {
			terminalStats.pauses++;
			stream.pause();
			if (timer) return;
			timer = setInterval(() => {
				if (ws.readyState !== ws.OPEN) return stop();
				if (ws.bufferedAmount < opts.low) {
					stop();
					stream.resume();
				}
			}, opts.pollMs ?? DRAIN_POLL_MS);
		}
	});
	stream.on('close', stop);
	return { stop };
}
