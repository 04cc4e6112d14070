// The environments table, read once per change instead of once per page load and poll. better-sqlite3
// builds each row object in C++ at about 0.6 µs a column: 700 rows cost ~9 ms per read, the largest single
// cost of /environments at 1,000 CTs. The cache is keyed by what SQLite itself reports, so it cannot go
// stale: total_changes() moves with every write on Spyre's one connection (triggers and foreign-key
// actions included), PRAGMA data_version with every commit from another connection (a test, a restore).

import type { Statement } from 'better-sqlite3';
import { getDb, type Db } from '../db';
import { singleton } from '../singleton';
import { listEnvironments, type EnvironmentRow } from './repo';

const cache = singleton('environments.rows-cache', () => ({ key: '', db: null as Db | null, rows: [] as readonly EnvironmentRow[] }));

// Asked on every page load and poll: prepared once per connection rather than compiled each time.
const versionStatements = new WeakMap<Db, Statement<[], { changes: number; version: number }>>();

function versionOf(db: Db): string {
	let stmt = versionStatements.get(db);
	if (!stmt) {
		stmt = db.prepare<[], { changes: number; version: number }>('SELECT total_changes() AS changes, data_version AS version FROM pragma_data_version');
		versionStatements.set(db, stmt);
	}
	const v = stmt.get()!;
	return `${v.changes}:${v.version}`;
}

/** Every environment row, oldest first. Shared between callers: read it, never mutate it. */
export function allRows(db: Db = getDb()): readonly EnvironmentRow[] {
	const key = versionOf(db);
	if (cache.db !== db || cache.key !== key) {
		cache.rows = listEnvironments(db);
		cache.db = db;
		cache.key = key;
	}
	return cache.rows;
}
