// The one better-sqlite3 handle. Creates the database on first boot from schema.sql (migration 1), then
// applies numbered migrations from ./migrations, tracked by PRAGMA user_version. Never opened twice per
// process: everything goes through getDb().

import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import schemaSql from './schema.sql?raw';
import { getConfig } from './env-config';
import { SpyreError } from './errors';
import { forgetSingleton, singleton } from './singleton';

export type Db = Database.Database;

export interface Migration {
	version: number;
	name: string;
	sql: string;
}

const migrationFiles = import.meta.glob('./migrations/*.sql', {
	query: '?raw',
	import: 'default',
	eager: true
}) as Record<string, string>;

/** Migration 1 is the whole schema; later ones come from ./migrations/NNN-name.sql. */
export function builtInMigrations(): Migration[] {
	const later = Object.entries(migrationFiles).map(([file, sql]) => {
		const base = path.basename(file);
		const match = /^(\d{3,})-(.+)\.sql$/.exec(base);
		if (!match) throw new Error(`migration file ${base} must be named NNN-name.sql`);
		return { version: Number(match[1]), name: match[2], sql };
	});
	return [{ version: 1, name: 'initial', sql: schemaSql }, ...later].sort((a, b) => a.version - b.version);
}

/** Apply every migration newer than the database's user_version, each in its own transaction. */
export function migrate(db: Db, migrations: Migration[] = builtInMigrations()): number {
	const current = db.pragma('user_version', { simple: true }) as number;
	const latest = migrations.at(-1)?.version ?? 0;
	if (current > latest) {
		throw new SpyreError('config', `The database is at schema version ${current}, newer than this Spyre knows (${latest}). Upgrade Spyre or restore a backup.`);
	}
	for (const m of migrations) {
		if (m.version <= current) continue;
		db.transaction(() => {
			db.exec(m.sql);
			db.pragma(`user_version = ${m.version}`);
		})();
	}
	return db.pragma('user_version', { simple: true }) as number;
}

/** Open (creating if needed) the database at `file` and bring it to the latest schema. */
export function openDatabase(file: string, migrations?: Migration[]): Db {
	const dir = path.dirname(file);
	try {
		fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
		fs.accessSync(dir, fs.constants.W_OK);
		if (fs.existsSync(file)) fs.accessSync(file, fs.constants.R_OK | fs.constants.W_OK);
	} catch (err) {
		const code = (err as NodeJS.ErrnoException).code ?? 'error';
		throw new SpyreError('config', `database.path: cannot open ${file} for writing (${code}). Point database.path at a writable location.`, { cause: err });
	}
	let db: Db;
	try {
		db = new Database(file);
	} catch (err) {
		throw new SpyreError('config', `database.path: cannot open ${file}: ${(err as Error).message}`, { cause: err });
	}
	try {
		db.pragma('journal_mode = WAL');
		db.pragma('foreign_keys = ON');
		db.pragma('busy_timeout = 5000');
		db.pragma('synchronous = NORMAL');
		migrate(db, migrations);
	} catch (err) {
		db.close();
		if (err instanceof SpyreError) throw err;
		throw new SpyreError('config', `database ${file}: ${(err as Error).message}`, { cause: err });
	}
	try {
		fs.chmodSync(file, 0o600);
	} catch {
		// Best effort: the file may belong to another user on a shared data dir.
	}
	return db;
}

export function getDb(): Db {
	return singleton('db', () => openDatabase(getConfig().database.path));
}

export function closeDb(): void {
	const db = forgetSingleton<Db>('db');
	if (db?.open) db.close();
}
