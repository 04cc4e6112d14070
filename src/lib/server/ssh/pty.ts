// PTY channels: a command or a login shell with a pseudo-terminal (what tmux attaches through). Wraps the
// raw channel in a handle that knows its exit status, can be resized, and hears about a lost link.

import type { ClientChannel, PseudoTtyOptions } from 'ssh2';
import type { SpyreError } from '../errors';
import type { Entry } from './connection';
import type { PtyHandle, PtyOptions } from './types';

export function ptyRequest(opts: PtyOptions): PseudoTtyOptions {
	return { cols: opts.cols, rows: opts.rows, term: opts.term ?? 'xterm-256color', width: 0, height: 0 };
}

export function ptyHandle(entry: Entry, channel: ClientChannel): PtyHandle {
	const listeners = new Set<(err: SpyreError) => void>();
	const relay = (err: SpyreError) => {
		for (const l of listeners) l(err);
		listeners.clear();
	};
	entry.lostListeners.add(relay);
	let exit: { code: number | null; signal?: string } = { code: null };
	channel.on('exit', (code: number | null, signal?: string) => (exit = { code, signal: signal ?? undefined }));
	const closed = new Promise<{ code: number | null; signal?: string }>((resolve) => {
		// 'close' on a Readable waits for the data to be consumed; ssh2 also emits it on teardown.
		channel.once('close', () => {
			// Let a connection-lost notification that caused this close run first.
			setImmediate(() => {
				entry.lostListeners.delete(relay);
				resolve(exit);
			});
		});
	});
	return {
		stream: channel,
		closed,
		resize(cols, rows) {
			try {
				channel.setWindow(rows, cols, 0, 0);
			} catch {
				// The channel is closing; the size no longer matters.
			}
		},
		close() {
			try {
				channel.close();
			} catch {
				// Already closed.
			}
		},
		onConnectionLost(listener) {
			listeners.add(listener);
			return () => listeners.delete(listener);
		}
	};
}
