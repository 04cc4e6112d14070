import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db';
import { deleteEnvironment, getEnvironment, insertEnvironment, updateStatuses } from './repo';

const opened: Db[] = [];
const dirs: string[] = [];
afterEach(() => {
	for (const db of opened.splice(0)) db.close();
	for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function freshDb(): Db {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-statuses-'));
	dirs.push(dir);
	const db = openDatabase(path.join(dir, 'spyre.db'));
	opened.push(db);
	return db;
}

describe('updateStatuses', () => {
	it('writes status and node of many rows and returns them as they now are, in the order asked', () => {
		const db = freshDb();
		['env-a', 'env-b', 'env-c'].forEach((id, i) => insertEnvironment({ id, hostname: id, node: 'pve', vmid: 100 + i, status: 'stopped' }, db));
		db.prepare('UPDATE environments SET updated_at = 1').run();

		const rows = updateStatuses(
			[
				{ id: 'env-c', status: 'running', node: 'pve2' },
				{ id: 'env-a', status: 'missing', node: 'pve' }
			],
			db
		);
		expect(rows.map((r) => [r.id, r.status, r.node])).toEqual([
			['env-c', 'running', 'pve2'],
			['env-a', 'missing', 'pve']
		]);
		expect(rows[0].updated_at).toBeGreaterThan(1);
		expect(getEnvironment('env-c', db)).toEqual(rows[0]);
		expect(getEnvironment('env-b', db)!.status).toBe('stopped');
	});

	it('leaves out rows deleted meanwhile and does nothing for no changes', () => {
		const db = freshDb();
		insertEnvironment({ id: 'env-a', hostname: 'a', node: 'pve', vmid: 100, status: 'stopped' }, db);
		deleteEnvironment('env-a', db);
		expect(updateStatuses([{ id: 'env-a', status: 'running', node: 'pve' }], db)).toEqual([]);
		expect(updateStatuses([], db)).toEqual([]);
	});

	it('is one transaction: a failing write rolls the whole batch back', () => {
		const db = freshDb();
		insertEnvironment({ id: 'env-a', hostname: 'a', node: 'pve', vmid: 100, status: 'stopped' }, db);
		insertEnvironment({ id: 'env-b', hostname: 'b', node: 'pve', vmid: 101, status: 'stopped' }, db);
		// The status column's CHECK refuses an unknown status: the first row's change must not survive.
		const bad = 'exploded' as 'running';
		expect(() =>
			updateStatuses(
				[
					{ id: 'env-a', status: 'running', node: 'pve' },
					{ id: 'env-b', status: bad, node: 'pve' }
				],
				db
			)
		).toThrow();
		expect(getEnvironment('env-a', db)!.status).toBe('stopped');
	});
});
