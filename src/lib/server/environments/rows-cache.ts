// The environments table, read once per change instead of once per page load and poll. better-sqlite3
// builds each row object in C++ at about 0.6 µs a column: 700 rows cost ~9 ms per read, the largest single
// cost of /environments at 1,000 CTs. The cache is keyed by what SQLite itself reports, so it cannot go
// stale: total_changes() moves with every write on Spyre's one connection (triggers and foreign-key
// actions included), PRAGMA data_version with every commit from another connection (a test, a restore).

import { getDb, type Db } from '../db';
import { singleton } from '../singleton';
import { listEnvironments, type EnvironmentRow } from './repo';

const cache = singleton('environments.rows-cache', () => ({ key: '', db: null as Db | null, rows: [] as readonly EnvironmentRow[] }));

function versionOf(db: Db): string {
	const changes = db.prepare('SELECT total_changes() AS n').pluck().get() as number;
	const version = db.pragma('data_version', { simple: true }) as number;
	return `${changes}:${version}`;
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
