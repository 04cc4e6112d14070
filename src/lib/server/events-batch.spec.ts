import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from './db';
import { latestSeq, publishAll, since, subscribe, type ServerEvent } from './events';

let dir: string;
let db: Db;
const unsubscribers: Array<() => void> = [];

beforeEach(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-events-batch-'));
	db = openDatabase(path.join(dir, 'spyre.db'));
});

afterEach(() => {
	for (const u of unsubscribers.splice(0)) u();
	db.close();
	fs.rmSync(dir, { recursive: true, force: true });
});

const inventory = (at: number) => ({ at });

describe('publishAll', () => {
	it('stores the events with consecutive seqs and broadcasts them in order, each after the commit', () => {
		const seen: Array<{ event: ServerEvent; inTransaction: boolean }> = [];
		unsubscribers.push(subscribe((event) => seen.push({ event, inTransaction: db.inTransaction })));
		const stored = publishAll('inventory.changed', [inventory(1), inventory(2), inventory(3)], db);
		expect(stored.map((e) => e.seq)).toEqual([1, 2, 3]);
		expect(seen.map((s) => s.event)).toEqual(stored);
		expect(seen.every((s) => !s.inTransaction)).toBe(true);
		expect(since(0, 10, db)).toEqual(stored);
	});

	it('stores and broadcasts nothing when one event cannot be stored, and hands out no seq', () => {
		const seen: ServerEvent[] = [];
		unsubscribers.push(subscribe((event) => seen.push(event)));
		const circular: { at: number; self?: unknown } = { at: 2 };
		circular.self = circular;
		expect(() => publishAll('inventory.changed', [inventory(1), circular], db)).toThrow();
		expect(seen).toEqual([]);
		expect(latestSeq(db)).toBe(0);
		expect(publishAll('inventory.changed', [inventory(3)], db)[0].seq).toBe(1);
	});

	it('does nothing for no events', () => {
		expect(publishAll('inventory.changed', [], db)).toEqual([]);
		expect(latestSeq(db)).toBe(0);
	});
});
