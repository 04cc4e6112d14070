// The server event bus behind /api/events: every event gets a sequence number and is stored, so a
// browser that reconnects with ?after=SEQ replays what it missed before live events. In-process
// subscribers get events synchronously after the insert.

import { getDb, type Db } from './db';
import { singleton } from './singleton';
import type { ServerEventMap, ServerEventType } from '$lib/shared/types/events';

export interface ServerEvent<T = unknown> {
	seq: number;
	ts: number;
	type: string;
	data: T;
}

type Listener = (event: ServerEvent) => void;

const KEEP_EVENTS = 5000;
const PRUNE_EVERY = 500;

const bus = singleton('events.bus', () => ({ listeners: new Set<Listener>(), sincePrune: 0 }));

/** Store and broadcast one event of a known type (`$lib/shared/types/events`). `data` must be safe to show any signed-in user. */
export function publish<K extends ServerEventType>(type: K, data: ServerEventMap[K], db: Db = getDb()): ServerEvent<ServerEventMap[K]> {
	return publishUntyped(type, data, db);
}

/** The bus itself, for any type and payload: its own tests use it; application code uses `publish`. */
export function publishUntyped<T>(type: string, data: T, db: Db = getDb()): ServerEvent<T> {
	const ts = Date.now();
	const info = db.prepare('INSERT INTO server_events (ts, type, payload) VALUES (?, ?, ?)').run(ts, type, JSON.stringify(data));
	const event: ServerEvent<T> = { seq: Number(info.lastInsertRowid), ts, type, data };
	bus.sincePrune++;
	pruneAndNotify([event as ServerEvent], db);
	return event;
}

/**
 * Many events of one type stored in ONE transaction (the status poller after a node went down: hundreds of
 * rows, one commit instead of one each), and broadcast only once it has committed: a listener never sees a
 * seq that a rollback could hand out again.
 */
export function publishAll<K extends ServerEventType>(type: K, items: readonly ServerEventMap[K][], db: Db = getDb()): ServerEvent<ServerEventMap[K]>[] {
	if (items.length === 0) return [];
	const insert = db.prepare('INSERT INTO server_events (ts, type, payload) VALUES (?, ?, ?)');
	const ts = Date.now();
	const stored = db.transaction(() => items.map((data) => ({ seq: Number(insert.run(ts, type, JSON.stringify(data)).lastInsertRowid), ts, type: type as string, data })))();
	bus.sincePrune += stored.length;
	pruneAndNotify(stored as ServerEvent[], db);
	return stored;
}

function pruneAndNotify(stored: ServerEvent[], db: Db): void {
	if (bus.sincePrune >= PRUNE_EVERY) {
		bus.sincePrune = 0;
		db.prepare('DELETE FROM server_events WHERE seq <= ?').run(stored[stored.length - 1].seq - KEEP_EVENTS);
	}
	for (const event of stored) {
		for (const listener of bus.listeners) {
			try {
				listener(event);
			} catch (err) {
				console.error('[spyre] event listener failed:', (err as Error).message);
			}
		}
	}
}

export function subscribe(listener: Listener): () => void {
	bus.listeners.add(listener);
	return () => bus.listeners.delete(listener);
}

/** Events after `seq`, oldest first (at most `limit`). */
export function since(seq: number, limit = 1000, db: Db = getDb()): ServerEvent[] {
	const rows = db.prepare('SELECT seq, ts, type, payload FROM server_events WHERE seq > ? ORDER BY seq LIMIT ?').all(seq, limit) as Array<{ seq: number; ts: number; type: string; payload: string }>;
	return rows.map((r) => ({ seq: r.seq, ts: r.ts, type: r.type, data: JSON.parse(r.payload) }));
}

export function latestSeq(db: Db = getDb()): number {
	const row = db.prepare('SELECT MAX(seq) AS seq FROM server_events').get() as { seq: number | null };
	return row.seq ?? 0;
}

export function subscriberCount(): number {
	return bus.listeners.size;
}
