// One shared connection to /api/events for the whole page. Reconnects with backoff and resumes from
// the last sequence number it saw, so no event is missed across a dropped connection.

import { ReconnectingSocket } from './reconnecting-socket';
import { wsRoutes } from '$lib/shared/routes';
import type { ServerEventMap, ServerEventType, TypedServerEvent } from '$lib/shared/types/events';

/** An event from the server: checking `type` narrows `data` (the map is `$lib/shared/types/events`). */
export type LiveEvent = TypedServerEvent;

type Listener = (event: LiveEvent) => void;

class LiveEvents {
	state = $state<'idle' | 'connecting' | 'open' | 'closed'>('idle');
	#lastSeq: number | null = null;
	#listeners = new Set<Listener>();
	#socket = new ReconnectingSocket({
		path: () => wsRoutes.events(this.#lastSeq),
		maxDelayMs: 30_000,
		onState: (state) => (this.state = state === 'retrying' ? 'closed' : state),
		onMessage: (text) => this.#receive(text)
	});

	start(): void {
		this.#socket.start();
	}

	stop(): void {
		this.#socket.stop();
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

	#receive(text: string): void {
		let parsed: LiveEvent | { type: 'hello'; seq: number };
		try {
			parsed = JSON.parse(text);
		} catch {
			return;
		}
		if (parsed.type === 'hello') {
			this.#lastSeq = Math.max(this.#lastSeq ?? 0, parsed.seq);
			this.#socket.resetBackoff();
			return;
		}
		const event = parsed as LiveEvent;
		if (typeof event.seq !== 'number') return;
		this.#lastSeq = event.seq;
		for (const l of this.#listeners) l(event);
	}
}

export const liveEvents = new LiveEvents();
