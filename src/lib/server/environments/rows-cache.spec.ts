import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db';
import { deleteEnvironment, insertEnvironment, updateEnvironment } from './repo';
import { allRows } from './rows-cache';

const opened: Db[] = [];
const dirs: string[] = [];
afterEach(() => {
	for (const db of opened.splice(0)) db.close();
	for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function freshDb(): { db: Db; file: string } {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-rows-'));
	dirs.push(dir);
	const file = path.join(dir, 'spyre.db');
	const db = openDatabase(file);
	opened.push(db);
	return { db, file };
}

describe('allRows', () => {
	it('serves the same array until a write on this connection', () => {
		const { db } = freshDb();
		insertEnvironment({ id: 'env-a', hostname: 'a', node: 'pve', status: 'stopped' }, db);
		const first = allRows(db);
		expect(allRows(db)).toBe(first);
		updateEnvironment('env-a', { status: 'running' }, db);
		expect(allRows(db).map((r) => r.status)).toEqual(['running']);
		deleteEnvironment('env-a', db);
		expect(allRows(db)).toEqual([]);
	});

	it('sees a commit from another connection', () => {
		const { db, file } = freshDb();
		insertEnvironment({ id: 'env-a', hostname: 'a', node: 'pve', status: 'stopped' }, db);
		expect(allRows(db)).toHaveLength(1);
		const other = new Database(file);
		other.prepare("UPDATE environments SET hostname = 'b'").run();
		other.close();
		expect(allRows(db).map((r) => r.hostname)).toEqual(['b']);
	});
});
