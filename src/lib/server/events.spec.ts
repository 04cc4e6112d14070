import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Db } from './db';
import { latestSeq, publishUntyped as publish, since, subscribe, subscriberCount, type ServerEvent } from './events';

let dir: string;
let db: Db;
const unsubscribers: Array<() => void> = [];

beforeEach(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-events-spec-'));
	db = openDatabase(path.join(dir, 'spyre.db'));
});

afterEach(() => {
	// The bus is process-wide: leave no listener behind for the next test.
	for (const u of unsubscribers.splice(0)) u();
	db.close();
	fs.rmSync(dir, { recursive: true, force: true });
});

function listen(fn: (e: ServerEvent) => void): () => void {
	const u = subscribe(fn);
	unsubscribers.push(u);
	return u;
}

describe('publish / since / latestSeq', () => {
	it('an empty stream has latestSeq 0 and nothing since 0', () => {
		expect(latestSeq(db)).toBe(0);
		expect(since(0, 1000, db)).toEqual([]);
	});

	it('numbers events 1, 2, 3 and stores type, time and data', () => {
		const before = Date.now();
		const a = publish('env.created', { id: 'e1' }, db);
		const b = publish('env.status', { id: 'e1', status: 'running' }, db);
		const c = publish('audit', null, db);
		expect([a.seq, b.seq, c.seq]).toEqual([1, 2, 3]);
		expect(a).toMatchObject({ type: 'env.created', data: { id: 'e1' } });
		expect(a.ts).toBeGreaterThanOrEqual(before);
		expect(latestSeq(db)).toBe(3);
		expect(since(0, 1000, db)).toEqual([a, b, c]);
	});

	it('since(seq) returns only later events, oldest first, at most `limit`', () => {
		for (let i = 1; i <= 10; i++) publish('tick', { i }, db);
		expect(since(7, 1000, db).map((e) => e.seq)).toEqual([8, 9, 10]);
		expect(since(2, 3, db).map((e) => e.data)).toEqual([{ i: 3 }, { i: 4 }, { i: 5 }]);
		expect(since(10, 1000, db)).toEqual([]);
		expect(since(99, 1000, db)).toEqual([]);
	});

	it('data round-trips through JSON', () => {
		const data = { s: 'ü "quoted" \n', n: 1.5, list: [1, null, { deep: true }], t: true };
		publish('x', data, db);
		expect(since(0, 10, db)[0].data).toEqual(data);
	});

	it('sequence numbers are never reused, even after rows are deleted', () => {
		publish('a', 1, db);
		publish('b', 2, db);
		db.prepare('DELETE FROM server_events').run();
		expect(publish('c', 3, db).seq).toBe(3);
	});

	it('prunes old rows, keeping the most recent 5000', () => {
		const insertMany = db.transaction(() => {
			for (let i = 0; i < 6000; i++) publish('bulk', i, db);
		});
		insertMany();
		const rows = db.prepare('SELECT COUNT(*) AS n, MIN(seq) AS lo, MAX(seq) AS hi FROM server_events').get() as {
			n: number;
			lo: number;
			hi: number;
		};
		expect(rows.hi).toBe(6000);
		expect(rows.n).toBeLessThan(6000);
		expect(rows.n).toBeGreaterThanOrEqual(5000);
		// Whatever is kept is contiguous up to the latest.
		expect(rows.hi - rows.lo + 1).toBe(rows.n);
	});
});

describe('subscribe', () => {
	it('delivers events synchronously, in publish order, after they are stored', () => {
		const got: Array<[number, number]> = [];
		listen((e) => got.push([e.seq, latestSeq(db)]));
		publish('a', 1, db);
		expect(got).toEqual([[1, 1]]);
		publish('b', 2, db);
		publish('c', 3, db);
		expect(got.map(([seq]) => seq)).toEqual([1, 2, 3]);
		// Each event was already in the table when the listener saw it (so a replay can never miss it).
		expect(got.every(([seq, stored]) => stored >= seq)).toBe(true);
	});

	it('every subscriber gets every event; unsubscribe stops delivery', () => {
		const one: number[] = [];
		const two: number[] = [];
		const base = subscriberCount();
		const stopOne = listen((e) => one.push(e.seq));
		listen((e) => two.push(e.seq));
		expect(subscriberCount()).toBe(base + 2);
		publish('a', 1, db);
		stopOne();
		expect(subscriberCount()).toBe(base + 1);
		publish('b', 2, db);
		expect(one).toEqual([1]);
		expect(two).toEqual([1, 2]);
	});

	it('a throwing listener does not stop the others or the publisher', () => {
		const error = vi.spyOn(console, 'error').mockImplementation(() => {});
		try {
			const got: number[] = [];
			listen(() => {
				throw new Error('boom');
			});
			listen((e) => got.push(e.seq));
			const e = publish('a', 1, db);
			expect(e.seq).toBe(1);
			expect(got).toEqual([1]);
			expect(error).toHaveBeenCalledWith(expect.stringContaining('event listener failed'), 'boom');
		} finally {
			error.mockRestore();
		}
	});

	it('a listener that publishes sees its own event after the current one', () => {
		const got: string[] = [];
		listen((e) => {
			got.push(e.type);
			if (e.type === 'first') publish('second', null, db);
		});
		publish('first', null, db);
		expect(got).toEqual(['first', 'second']);
		expect(since(0, 10, db).map((e) => e.type)).toEqual(['first', 'second']);
	});

	it('replay + live together give every event once: since(after) then subscribe from the last seq', () => {
		for (let i = 0; i < 5; i++) publish('old', i, db);
		let after = 2;
		const got: number[] = [];
		const deliver = (e: ServerEvent) => {
			if (e.seq <= after) return;
			after = e.seq;
			got.push(e.seq);
		};
		const pending: ServerEvent[] = [];
		let replaying = true;
		listen((e) => (replaying ? pending.push(e) : deliver(e)));
		for (const e of since(after, 1000, db)) {
			deliver(e);
			if (e.seq === 4) publish('during-replay', null, db); // published mid-replay: arrives through the pending buffer
		}
		for (const e of pending) deliver(e);
		replaying = false;
		publish('live', null, db);
		expect(got).toEqual([3, 4, 5, 6, 7]);
	});
});
