// The browser's one reconnecting WebSocket for every Spyre stream (events, task transcripts, terminals):
// it builds the URL afresh for every attempt (so it can carry `?after=` the last seq seen, or a terminal's
// current size), retries with the shared backoff only after close codes that `isRetryableClose` allows,
// and reports its state. Parsing stays with the caller; a reconnect is only as good as the `after` the
// caller gives it. Binary frames (a terminal's bytes) go to `onBinary` when the caller gives one.

import { backoffDelay, isRetryableClose } from '$lib/shared/live-socket';

export type SocketState = 'connecting' | 'open' | 'retrying' | 'closed';

export interface ReconnectingSocketOptions {
	/** Path and query for the next attempt, e.g. `/api/events?after=12`. Called after onState('connecting'). */
	path: () => string;
	onMessage: (data: string) => void;
	/** Binary frames; with it the socket receives ArrayBuffers (without it, binary frames are not expected). */
	onBinary?: (data: ArrayBuffer) => void;
	/** `delayMs` comes with 'retrying': how long until the next attempt. */
	onState?: (state: SocketState, closeCode?: number, delayMs?: number) => void;
	/** Backoff cap in ms (default 15 s). */
	maxDelayMs?: number;
}

export class ReconnectingSocket {
	#opts: ReconnectingSocketOptions;
	#ws: WebSocket | null = null;
	#timer: ReturnType<typeof setTimeout> | null = null;
	#attempt = 0;
	#stopped = true;

	constructor(opts: ReconnectingSocketOptions) {
		this.#opts = opts;
	}

	get running(): boolean {
		return !this.#stopped;
	}

	/** How many attempts failed in a row since the server last answered (0 on the first try). */
	get attempt(): number {
		return this.#attempt;
	}

	get open(): boolean {
		return this.#ws?.readyState === 1; // WebSocket.OPEN
	}

	start(): void {
		if (!this.#stopped || typeof window === 'undefined') return;
		this.#stopped = false;
		this.#connect();
	}

	/** Close for good (code 1000); no reconnect. */
	stop(): void {
		this.#stopped = true;
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = null;
		this.#ws?.close(1000);
		this.#ws = null;
		this.#opts.onState?.('closed');
	}

	/** Drop any pending wait or connection and connect again now, with the backoff reset (a person asked). */
	reconnectNow(): void {
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = null;
		const old = this.#ws;
		this.#ws = null;
		old?.close(1000);
		this.#attempt = 0;
		this.#stopped = false;
		this.#connect();
	}

	/** Send when open; returns whether it was sent. */
	send(data: string | ArrayBufferView | ArrayBuffer): boolean {
		if (!this.open) return false;
		this.#ws!.send(data as string);
		return true;
	}

	/** The server answered: the next failure starts the backoff from the beginning. */
	resetBackoff(): void {
		this.#attempt = 0;
	}

	#connect(): void {
		this.#timer = null;
		this.#opts.onState?.('connecting');
		// The one place a socket URL is made absolute: the path comes from wsRoutes, the scheme follows the page's.
		const url = new URL(this.#opts.path(), location.href);
		url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
		const ws = new WebSocket(url);
		if (this.#opts.onBinary) ws.binaryType = 'arraybuffer';
		this.#ws = ws;
		ws.onopen = () => {
			if (this.#ws === ws) this.#opts.onState?.('open');
		};
		ws.onmessage = (msg) => {
			if (this.#ws !== ws) return;
			if (typeof msg.data === 'string') this.#opts.onMessage(msg.data);
			else if (this.#opts.onBinary && msg.data instanceof ArrayBuffer) this.#opts.onBinary(msg.data);
			else this.#opts.onMessage(String(msg.data));
		};
		ws.onclose = (e) => {
			if (this.#ws !== ws) return;
			this.#ws = null;
			if (this.#stopped) return;
			if (!isRetryableClose(e.code)) {
				this.#stopped = true;
				this.#opts.onState?.('closed', e.code);
				return;
			}
			const delay = backoffDelay(this.#attempt++, 500, this.#opts.maxDelayMs ?? 15_000);
			this.#opts.onState?.('retrying', e.code, delay);
			this.#timer = setTimeout(() => this.#connect(), delay);
		};
	}
}
