// The browser's one reconnecting WebSocket for Spyre's JSON streams (events, task transcripts): it builds
// the URL afresh for every attempt (so it can carry `?after=` the last seq seen), retries with the shared
// backoff only after close codes that `isRetryableClose` allows, and reports its state. Parsing stays with
// the caller; a reconnect is only as good as the `after` the caller gives it.

import { backoffDelay, isRetryableClose } from '$lib/live-socket';

export type SocketState = 'connecting' | 'open' | 'retrying' | 'closed';

export interface ReconnectingSocketOptions {
	/** Path and query for the next attempt, e.g. `/api/events?after=12`. */
	path: () => string;
	onMessage: (data: string) => void;
	onState?: (state: SocketState, closeCode?: number) => void;
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

	/** The server answered: the next failure starts the backoff from the beginning. */
	resetBackoff(): void {
		this.#attempt = 0;
	}

	#connect(): void {
		const url = new URL(this.#opts.path(), location.href);
		url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
		this.#opts.onState?.('connecting');
		const ws = new WebSocket(url);
		this.#ws = ws;
		ws.onopen = () => this.#opts.onState?.('open');
		ws.onmessage = (msg) => this.#opts.onMessage(String(msg.data));
		ws.onclose = (e) => {
			if (this.#ws === ws) this.#ws = null;
			if (this.#stopped) return;
			if (!isRetryableClose(e.code)) {
				this.#stopped = true;
				this.#opts.onState?.('closed', e.code);
				return;
			}
			this.#opts.onState?.('retrying', e.code);
			this.#timer = setTimeout(() => this.#connect(), backoffDelay(this.#attempt++, 500, this.#opts.maxDelayMs ?? 15_000));
		};
	}
}
