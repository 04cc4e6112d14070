import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as audit from './audit';
import { builtInMigrations, migrate, openDatabase, type Db, type Migration } from './db';
import { SpyreError } from './errors';

const TABLES = ['users', 'sessions', 'environments', 'provision_runs', 'provision_events', 'claude_auth_log', 'claude_tasks', 'claude_task_events', 'services', 'audit_log', 'server_events'];

let dir: string;
const open: Db[] = [];

beforeEach(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-db-spec-'));
});

afterEach(() => {
	for (const db of open.splice(0)) if (db.open) db.close();
	fs.rmSync(dir, { recursive: true, force: true });
});

function track(db: Db): Db {
	open.push(db);
	return db;
}

function tables(db: Db): string[] {
	return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>).map((r) => r.name);
}

function version(db: Db): number {
	return db.pragma('user_version', { simple: true }) as number;
}

function catchError(fn: () => unknown): unknown {
	try {
		fn();
	} catch (err) {
		return err;
	}
	throw new Error('expected an error');
}

const latest = () => builtInMigrations().at(-1)!.version;

describe('builtInMigrations', () => {
	it('starts with the whole schema as version 1 and is strictly increasing', () => {
		const m = builtInMigrations();
		expect(m[0]).toMatchObject({ version: 1, name: 'initial' });
		expect(m[0].sql).toContain('CREATE TABLE users');
		for (let i = 1; i < m.length; i++) expect(m[i].version).toBeGreaterThan(m[i - 1].version);
	});
});

describe('openDatabase on a fresh file', () => {
	it('creates the file at the latest version with every table', () => {
		const file = path.join(dir, 'nested', 'spyre.db');
		const db = track(openDatabase(file));
		expect(version(db)).toBe(latest());
		expect(tables(db)).toEqual(expect.arrayContaining(TABLES));
		expect(fs.statSync(file).mode & 0o777).toBe(0o600);
		expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
	});

	it('turns on WAL, foreign keys and a busy timeout', () => {
		const db = track(openDatabase(path.join(dir, 'spyre.db')));
		expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
		expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
		expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
		expect(() => db.prepare('INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES (?, 999, 0, 0, 1)').run('a'.repeat(64))).toThrow(/FOREIGN KEY constraint failed/);
	});

	it('reopening an up-to-date database changes nothing', () => {
		const file = path.join(dir, 'spyre.db');
		let db = openDatabase(file);
		db.prepare("INSERT INTO users (username, password_hash, created_at) VALUES ('a', 'h', 1)").run();
		db.close();
		db = track(openDatabase(file));
		expect(version(db)).toBe(latest());
		expect((db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n).toBe(1);
	});
});

describe('migrations on an existing database', () => {
	it('a database at version 1 gets later migrations, keeping its data', () => {
		const file = path.join(dir, 'spyre.db');
		const v1 = builtInMigrations().filter((m) => m.version === 1);
		let db = openDatabase(file, v1);
		expect(version(db)).toBe(1);
		db.prepare("INSERT INTO users (username, password_hash, created_at) VALUES ('alice', 'h', 1)").run();
		db.close();

		const next: Migration[] = [
			...v1,
			{ version: 2, name: 'add-notes', sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);' },
			{ version: 3, name: 'users-theme', sql: "ALTER TABLE users ADD COLUMN theme TEXT NOT NULL DEFAULT 'dark';" }
		];
		db = track(openDatabase(file, next));
		expect(version(db)).toBe(3);
		expect(tables(db)).toContain('notes');
		expect(db.prepare('SELECT username, theme FROM users').get()).toEqual({ username: 'alice', theme: 'dark' });
	});

	it('migrate() applies only what is newer and returns the new version', () => {
		const db = track(new Database(path.join(dir, 'plain.db')));
		const ms: Migration[] = [1, 2, 3].map((v) => ({ version: v, name: `m${v}`, sql: `CREATE TABLE t${v} (x);` }));
		db.pragma('user_version = 1');
		db.exec('CREATE TABLE t1 (x);');
		// Migration 1 is not re-run (it would fail: t1 exists); 2 and 3 are applied.
		expect(migrate(db, ms)).toBe(3);
		expect(tables(db).sort()).toEqual(['t1', 't2', 't3']);
		expect(migrate(db, ms)).toBe(3); // idempotent
	});

	it('applies the built-in migrations on top of a version-1 database', () => {
		const file = path.join(dir, 'spyre.db');
		openDatabase(
			file,
			builtInMigrations().filter((m) => m.version === 1)
		).close();
		const db = track(openDatabase(file));
		expect(version(db)).toBe(latest());
	});

	it('a database newer than the code is refused with a clear message, and left alone', () => {
		const file = path.join(dir, 'spyre.db');
		const db = openDatabase(file);
		db.pragma(`user_version = ${latest() + 5}`);
		db.close();
		const err = catchError(() => openDatabase(file));
		expect(err).toBeInstanceOf(SpyreError);
		expect((err as SpyreError).code).toBe('config');
		expect((err as Error).message).toBe(`The database is at schema version ${latest() + 5}, newer than this Spyre knows (${latest()}). Upgrade Spyre or restore a backup.`);
		const check = track(new Database(file, { readonly: true }));
		expect(version(check)).toBe(latest() + 5);
	});

	it('a failing migration rolls back: no partial table, version unchanged, a SpyreError', () => {
		const file = path.join(dir, 'spyre.db');
		openDatabase(file).close();
		const bad: Migration[] = [
			...builtInMigrations(),
			{ version: latest() + 1, name: 'good', sql: 'CREATE TABLE fine (x);' },
			{
				version: latest() + 2,
				name: 'broken',
				sql: 'CREATE TABLE half (x); INSERT INTO half VALUES (1); INSERT INTO no_such_table VALUES (1);'
			}
		];
		const err = catchError(() => openDatabase(file, bad));
		expect(err).toBeInstanceOf(SpyreError);
		expect((err as Error).message).toMatch(/no such table: no_such_table/);
		expect((err as Error).message).toContain(file);

		const db = track(openDatabase(file, bad.slice(0, -1)));
		// The good migration before it was committed on its own; the broken one left nothing behind.
		expect(version(db)).toBe(latest() + 1);
		expect(tables(db)).toContain('fine');
		expect(tables(db)).not.toContain('half');
	});

	it('a failing first migration leaves an empty database at version 0', () => {
		const file = path.join(dir, 'spyre.db');
		const err = catchError(() => openDatabase(file, [{ version: 1, name: 'bad', sql: 'CREATE TABLE a (x); SELECT nope();' }]));
		expect(err).toBeInstanceOf(SpyreError);
		const db = track(new Database(file));
		expect(version(db)).toBe(0);
		expect(tables(db)).toEqual([]);
	});
});

describe('openDatabase on a path it cannot use (these fail even as root)', () => {
	it('a parent that is a regular file (ENOTDIR) names database.path', () => {
		const blocker = path.join(dir, 'not-a-dir');
		fs.writeFileSync(blocker, 'x');
		const file = path.join(blocker, 'spyre.db');
		const err = catchError(() => openDatabase(file));
		expect(err).toBeInstanceOf(SpyreError);
		expect((err as SpyreError).code).toBe('config');
		expect((err as Error).message).toMatch(/^database\.path: cannot open .*not-a-dir\/spyre\.db for writing \((ENOTDIR|EEXIST)\)/);
		expect((err as Error).message).toContain('Point database.path at a writable location');
		expect(fs.readFileSync(blocker, 'utf8')).toBe('x');
	});

	// Not /proc: Node 20's recursive mkdirSync loops forever there (ENOENT on a parent that exists).
	it.each([
		['under /sys (EPERM)', '/sys/spyre-test-no-such-dir/spyre.db'],
		['under /dev/null (ENOTDIR)', '/dev/null/spyre-test/spyre.db']
	])('a directory that cannot be created %s names database.path', (_name, file) => {
		const err = catchError(() => openDatabase(file));
		expect(err).toBeInstanceOf(SpyreError);
		expect((err as Error).message).toMatch(/^database\.path: cannot open \/.* for writing \((EPERM|EACCES|EROFS|ENOTDIR|ENOENT)\)/);
		expect((err as Error).message).toContain(file);
	});

	it('a path that is a directory names database.path', () => {
		const err = catchError(() => openDatabase(dir));
		expect(err).toBeInstanceOf(SpyreError);
		expect((err as Error).message).toMatch(/^database\.path: cannot open /);
	});

	it('a file that is not a database is refused without being overwritten', () => {
		const file = path.join(dir, 'junk.db');
		const junk = 'this is not an SQLite database, it is plain text '.repeat(100);
		fs.writeFileSync(file, junk);
		const err = catchError(() => openDatabase(file));
		expect(err).toBeInstanceOf(SpyreError);
		expect((err as Error).message).toMatch(/junk\.db/);
		expect(fs.readFileSync(file, 'utf8')).toBe(junk);
	});
});

describe('schema constraints', () => {
	let db: Db;
	beforeEach(() => {
		db = track(openDatabase(path.join(dir, 'spyre.db')));
		db.prepare("INSERT INTO users (id, username, password_hash, created_at) VALUES (1, 'admin', 'h', 1)").run();
	});

	const env = (status: string, hostname = 'dev1') =>
		db.prepare("INSERT INTO environments (id, hostname, node, status, created_at, updated_at) VALUES (?, ?, 'pve', ?, 1, 1)").run(`e-${hostname}`, hostname, status);

	it.each([
		['an environment status', () => env('exploded')],
		['a user role', () => db.prepare("INSERT INTO users (username, password_hash, role, created_at) VALUES ('x', 'h', 'root', 1)").run()],
		['an empty username', () => db.prepare("INSERT INTO users (username, password_hash, created_at) VALUES ('', 'h', 1)").run()],
		['a session hash that is not 64 characters', () => db.prepare('INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES (?, 1, 0, 0, 1)').run('abc')],
		[
			'a provision run status',
			() => {
				env('creating');
				db.prepare("INSERT INTO provision_runs (environment_id, kind, status, started_at) VALUES ('e-dev1', 'create', 'done', 1)").run();
			}
		],
		[
			'a running provision run with a finish time',
			() => {
				env('creating');
				db.prepare("INSERT INTO provision_runs (environment_id, kind, status, started_at, finished_at) VALUES ('e-dev1', 'create', 'running', 1, 2)").run();
			}
		],
		[
			'a claude task status',
			() => {
				env('running');
				db.prepare("INSERT INTO claude_tasks (id, environment_id, prompt, status, created_at) VALUES ('t', 'e-dev1', 'p', 'thinking', 1)").run();
			}
		],
		['a claude auth log event', () => db.prepare("INSERT INTO claude_auth_log (ts, event) VALUES (1, 'hacked')").run()],
		['an audit outcome', () => db.prepare("INSERT INTO audit_log (ts, action, outcome) VALUES (1, 'x', 'maybe')").run()],
		[
			'a service port',
			() => {
				env('running');
				db.prepare("INSERT INTO services (environment_id, name, port) VALUES ('e-dev1', 'web', 70000)").run();
			}
		]
	])('refuses %s outside its CHECK', (_what, insert) => {
		expect(insert).toThrow(/CHECK constraint failed/);
	});

	it('accepts every documented environment status', () => {
		const statuses = ['pending', 'creating', 'starting', 'waiting_network', 'verifying_ssh', 'provisioning', 'running', 'stopping', 'stopped', 'destroying', 'error', 'missing'];
		statuses.forEach((s, i) => env(s, `h${i}`));
		expect((db.prepare('SELECT COUNT(*) AS n FROM environments').get() as { n: number }).n).toBe(statuses.length);
	});

	it('host names are unique regardless of case', () => {
		env('running', 'Dev1');
		expect(() => db.prepare("INSERT INTO environments (id, hostname, node, status, created_at, updated_at) VALUES ('e2', 'dev1', 'pve', 'running', 1, 1)").run()).toThrow(/UNIQUE constraint failed/);
	});

	it('deleting a user deletes their sessions', () => {
		db.prepare('INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES (?, 1, 0, 0, 1)').run('b'.repeat(64));
		db.prepare('DELETE FROM users WHERE id = 1').run();
		expect((db.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n).toBe(0);
	});

	it('audit_log is append-only: UPDATE and DELETE are refused', () => {
		audit.record({ userId: 1, username: 'admin', ip: '127.0.0.1' }, 'auth.login', 'admin', 'success', null, db);
		audit.record({ username: 'x' }, 'auth.login', 'x', 'failure', 'wrong username or password', db);
		expect(() => db.prepare("UPDATE audit_log SET outcome = 'success'").run()).toThrow(/audit_log is append-only/);
		expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/audit_log is append-only/);
		expect(() => db.prepare('DELETE FROM audit_log WHERE id = 1').run()).toThrow(/append-only/);
		const rows = audit.recent(10, db);
		expect(rows.map((r) => [r.action, r.outcome, r.username])).toEqual([
			['auth.login', 'failure', 'x'],
			['auth.login', 'success', 'admin']
		]);
	});

	it('audit detail is capped at 2000 characters', () => {
		audit.record({}, 'x', null, 'success', 'd'.repeat(5000), db);
		expect(audit.recent(1, db)[0].detail).toHaveLength(2000);
	});
});
