// Rows of the environments table: Spyre's metadata about each container. SQL only with bound parameters.

import crypto from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import { getDb, type Db } from '../db';
import type { EnvironmentStatus } from '$lib/shared/types/environments';

export interface EnvironmentRow {
	id: string;
	hostname: string;
	node: string;
	vmid: number | null;
	origin: 'created' | 'adopted';
	status: Exclude<EnvironmentStatus, 'unknown'>;
	template: string | null;
	cores: number | null;
	memory_mb: number | null;
	disk_gb: number | null;
	ip: string | null;
	config_name: string | null;
	host_key_fingerprint: string | null;
	current_task: string | null;
	error: string | null;
	error_step: string | null;
	/** Why Spyre itself stopped it (migration 016); meaningful while it is stopped. */
	stopped_by: 'idle' | 'schedule' | null;
	created_by: number | null;
	/** The attempt set this environment is a clone for (claude/attempts), else null. */
	attempt_set_id: string | null;
	created_at: number;
	updated_at: number;
}

export function newEnvironmentId(): string {
	// 10 chars of base32: short enough for URLs, random enough to not be guessed or collide.
	const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
	const bytes = crypto.randomBytes(10);
	return 'env-' + [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
}

export function getEnvironment(id: string, db: Db = getDb()): EnvironmentRow | undefined {
	return db.prepare('SELECT * FROM environments WHERE id = ?').get(id) as EnvironmentRow | undefined;
}

export function findByHostname(hostname: string, db: Db = getDb()): EnvironmentRow | undefined {
	return db.prepare('SELECT * FROM environments WHERE hostname = ? COLLATE NOCASE').get(hostname) as EnvironmentRow | undefined;
}

export function findByVmid(vmid: number, db: Db = getDb()): EnvironmentRow | undefined {
	return db.prepare('SELECT * FROM environments WHERE vmid = ?').get(vmid) as EnvironmentRow | undefined;
}

export function listEnvironments(db: Db = getDb()): EnvironmentRow[] {
	return db.prepare('SELECT * FROM environments ORDER BY created_at, id').all() as EnvironmentRow[];
}

export function insertEnvironment(row: Pick<EnvironmentRow, 'id' | 'hostname' | 'node' | 'status'> & Partial<EnvironmentRow>, db: Db = getDb()): EnvironmentRow {
	const now = Date.now();
	db.prepare(
		`INSERT INTO environments (id, hostname, node, vmid, origin, status, template, cores, memory_mb, disk_gb, ip,
			config_name, created_by, attempt_set_id, created_at, updated_at)
		 VALUES (@id, @hostname, @node, @vmid, @origin, @status, @template, @cores, @memory_mb, @disk_gb, @ip,
			@config_name, @created_by, @attempt_set_id, @now, @now)`
	).run({
		vmid: null,
		origin: 'created',
		template: null,
		cores: null,
		memory_mb: null,
		disk_gb: null,
		ip: null,
		config_name: null,
		created_by: null,
		attempt_set_id: null,
		...row,
		now
	});
	return getEnvironment(row.id, db)!;
}

type Updatable = Partial<
	Pick<EnvironmentRow, 'status' | 'vmid' | 'ip' | 'node' | 'current_task' | 'error' | 'error_step' | 'hostname' | 'cores' | 'memory_mb' | 'disk_gb' | 'stopped_by' | 'attempt_set_id'>
>;

const UPDATABLE = new Set(['status', 'vmid', 'ip', 'node', 'current_task', 'error', 'error_step', 'hostname', 'cores', 'memory_mb', 'disk_gb', 'stopped_by', 'attempt_set_id']);

export function updateEnvironment(id: string, changes: Updatable, db: Db = getDb()): EnvironmentRow | undefined {
	const keys = Object.keys(changes).filter((k) => UPDATABLE.has(k));
	if (keys.length > 0) {
		const sets = keys.map((k) => `${k} = @${k}`).join(', ');
		db.prepare(`UPDATE environments SET ${sets}, updated_at = @updated_at WHERE id = @id`).run({
			...changes,
			updated_at: Date.now(),
			id
		});
	}
	return getEnvironment(id, db);
}

// The poller's write: prepared once per connection (compiling the UPDATE costs more than running it), and
// RETURNING hands back the new row without a second SELECT.
const statusStatements = new WeakMap<Db, Statement<[string, string, number, string], EnvironmentRow>>();

/**
 * Status and node of many rows in ONE transaction (one commit for a whole poll, not one per row); the rows
 * as they now are, in the order given, leaving out ids that no longer exist.
 */
export function updateStatuses(changes: readonly { id: string; status: EnvironmentRow['status']; node: string }[], db: Db = getDb()): EnvironmentRow[] {
	if (changes.length === 0) return [];
	let stmt = statusStatements.get(db);
	if (!stmt) {
		stmt = db.prepare<[string, string, number, string], EnvironmentRow>('UPDATE environments SET status = ?, node = ?, updated_at = ? WHERE id = ? RETURNING *');
		statusStatements.set(db, stmt);
	}
	const update = stmt;
	const now = Date.now();
	return db.transaction(() => {
		const rows: EnvironmentRow[] = [];
		for (const c of changes) {
			const row = update.get(c.status, c.node, now, c.id);
			if (row) rows.push(row);
		}
		return rows;
	})();
}

/** The config version an environment was (last) built from: set by each provision run, create or retry. */
export function setBuiltFrom(id: string, config: string, version: number, sha256: string, db: Db = getDb()): void {
	db.prepare('UPDATE environments SET config_name = ?, config_version = ?, config_sha256 = ?, updated_at = ? WHERE id = ?').run(config, version, sha256, Date.now(), id);
}

export function builtFromOf(id: string, db: Db = getDb()): { config: string; version: number | null; sha256: string | null } | null {
	const row = db.prepare('SELECT config_name AS config, config_version AS version, config_sha256 AS sha256 FROM environments WHERE id = ?').get(id) as
		{ config: string | null; version: number | null; sha256: string | null } | undefined;
	return row?.config ? { config: row.config, version: row.version, sha256: row.sha256 } : null;
}

export function deleteEnvironment(id: string, db: Db = getDb()): void {
	db.prepare('DELETE FROM environments WHERE id = ?').run(id);
}

// SSH facts of a row, read and written by the SSH module's host-key store and by `reachable.ts`.

export function getHostKeyFingerprint(id: string, db: Db = getDb()): string | null {
	const row = db.prepare('SELECT host_key_fingerprint AS fp FROM environments WHERE id = ?').get(id) as { fp: string | null } | undefined;
	return row?.fp ?? null;
}

/** Pin only if nothing is pinned yet: a concurrent first connect must not overwrite a pin. */
export function pinHostKeyIfUnset(id: string, fingerprint: string, db: Db = getDb()): void {
	db.prepare('UPDATE environments SET host_key_fingerprint = ?, updated_at = ? WHERE id = ? AND host_key_fingerprint IS NULL').run(fingerprint, Date.now(), id);
}

/** Replace (or with null, forget) the pinned host key. */
export function setHostKeyFingerprint(id: string, fingerprint: string | null, db: Db = getDb()): void {
	db.prepare('UPDATE environments SET host_key_fingerprint = ?, updated_at = ? WHERE id = ?').run(fingerprint, Date.now(), id);
}
