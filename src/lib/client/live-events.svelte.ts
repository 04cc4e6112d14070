// One shared connection to /api/events for the whole page. Reconnects with backoff and resumes from
// the last sequence number it saw, so no event is missed across a dropped connection.

import { backoffDelay, isRetryableClose } from '$lib/live-socket';
import type { ServerEventMap, ServerEventType, TypedServerEvent } from '$lib/types/events';

/** An event from the server: checking `type` narrows `data` (the map is `$lib/types/events`). */
export type LiveEvent = TypedServerEvent;

type Listener = (event: LiveEvent) => void;

class LiveEvents {
	state = $state<'idle' | 'connecting' | 'open' | 'closed'>('idle');
	#ws: WebSocket | null = null;
	#lastSeq: number | null = null;
	#listeners = new Set<Listener>();
	#retry = 0;
	#timer: ReturnType<typeof setTimeout> | null = null;
	#stopped = false;

	start(): void {
		if (this.#ws || typeof window === 'undefined') return;
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = null;
		this.#stopped = false;
		this.#connect();
	}

	stop(): void {
		this.#stopped = true;
		if (this.#timer) clearTimeout(this.#timer);
		this.#ws?.close(1000);
		this.#ws = null;
		this.state = 'closed';
	}

	on(listener: Listener): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	/** Listen to one type of event, with its data typed. */
	onType<K extends ServerEventType>(type: K, listener: (data: ServerEventMap[K], event: LiveEvent) => void): () => void {
		return this.on((event) => {
			if (event.type === type) listener(event.data as ServerEventMap[K], event);
		});
	}

	#connect(): void {
		const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
		const after = this.#lastSeq === null ? '' : `?after=${this.#lastSeq}`;
		this.state = 'connecting';
		const ws = new WebSocket(`${proto}//${location.host}/api/events${after}`);
		this.#ws = ws;
		ws.onopen = () => {
			this.state = 'open';
			this.#retry = 0;
		};
		ws.onmessage = (msg) => {
			let parsed: LiveEvent | { type: 'hello'; seq: number };
			try {
				parsed = JSON.parse(String(msg.data));
			} catch {
				return;
			}
			if (parsed.type === 'hello') {
				this.#lastSeq = Math.max(this.#lastSeq ?? 0, parsed.seq);
				return;
			}
			const event = parsed as LiveEvent;
			if (typeof event.seq !== 'number') return;
			this.#lastSeq = event.seq;
			for (const l of this.#listeners) l(event);
		};
		ws.onclose = (e) => {
			this.#ws = null;
			this.state = 'closed';
			if (this.#stopped || !isRetryableClose(e.code)) return;
			const delay = backoffDelay(this.#retry++, 500, 30_000);
			this.#timer = setTimeout(() => this.#connect(), delay);
		};
	}
}

export const liveEvents = new LiveEvents();
