// One direction of a relay between two SSH streams, with backpressure: when the destination's write()
// says its buffer is full (the far side's SSH window is used up, e.g. a client that never reads), the
// source is paused until 'drain', so ssh2 stops granting window to the sender and nothing piles up in
// Spyre's memory. Counts the bytes that went through, for the session's audit row.

import type { Readable, Writable } from 'node:stream';

export interface Pump {
	readonly bytes: number;
	stop(): void;
}

export function pump(src: Readable, dst: Writable, opts: { end?: boolean } = {}): Pump {
	let bytes = 0;
	const onDrain = () => src.resume();
	const onData = (chunk: Buffer) => {
		bytes += chunk.length;
		if (!dst.write(chunk)) {
			src.pause();
			dst.once('drain', onDrain);
		}
	};
	const onEnd = () => {
		if (opts.end !== false && !dst.writableEnded) dst.end();
	};
	src.on('data', onData);
	src.once('end', onEnd);
	return {
		get bytes() {
			return bytes;
		},
		stop() {
			src.off('data', onData);
			src.off('end', onEnd);
			dst.off('drain', onDrain);
		}
	};
}
