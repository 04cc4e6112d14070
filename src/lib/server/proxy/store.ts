// The `services` table: one row per declared service of an environment, and per port shared from the
// environment page (`shared` = 1, migration 011), with its route id, subdomain and last health. Bound
// parameters only.

import type { ResolvedService } from '$lib/shared/types/configs';
import { getDb, type Db } from '../db';
import { routeId, serviceLabel, type ProxyMode, type ServiceTarget } from './routes';

export type ServiceHealth = 'unknown' | 'healthy' | 'unhealthy';

export interface ServiceRow {
	id: number;
	environmentId: string;
	hostname: string;
	ip: string | null;
	name: string;
	port: number;
	protocol: 'http' | 'https' | 'tcp';
	/** 1 or 0 (SQLite has no boolean): whether Caddy checks an https service's certificate. */
	tlsVerify: number;
	subdomain: string | null;
	routeId: string | null;
	health: ServiceHealth;
	lastCheckedAt: number | null;
	/** 1 for a port shared from the environment page, 0 for a service its config declares. */
	shared: number;
}

const SELECT = `SELECT s.id, s.environment_id AS environmentId, e.hostname, e.ip, s.name, s.port, s.protocol,
	s.tls_verify AS tlsVerify, s.subdomain, s.route_id AS routeId, s.health, s.last_checked_at AS lastCheckedAt, s.shared
	FROM services s JOIN environments e ON e.id = s.environment_id`;

export function listServices(db: Db = getDb()): ServiceRow[] {
	return db.prepare(`${SELECT} ORDER BY e.hostname, s.name`).all() as ServiceRow[];
}

export function servicesOf(environmentId: string, db: Db = getDb()): ServiceRow[] {
	return db.prepare(`${SELECT} WHERE s.environment_id = ? ORDER BY s.name`).all(environmentId) as ServiceRow[];
}

/**
 * Replace an environment's declared services with `declared` (keeps the health of those that stay the
 * same). Shared ports stay, unless a declared service now takes their name or port: the config wins.
 * Returns the shared ports that gave way, so their credentials can be revoked.
 */
export function replaceServices(environmentId: string, hostname: string, declared: readonly ResolvedService[], mode: ProxyMode | null, db: Db = getDb()): ServiceRow[] {
	return db.transaction(() => {
		const keep = new Set(declared.map((s) => s.name));
		const ports = new Set(declared.map((s) => s.port));
		const displaced: ServiceRow[] = [];
		for (const row of servicesOf(environmentId, db)) {
			const taken = keep.has(row.name) || ports.has(row.port);
			if (row.shared ? taken : !keep.has(row.name)) db.prepare('DELETE FROM services WHERE id = ?').run(row.id);
			if (row.shared && taken) displaced.push(row);
		}
		for (const s of declared) {
			const id = { environmentId, name: s.name };
			const sub = mode && s.protocol !== 'tcp' ? serviceLabel({ hostname, name: s.name }) : null;
			db.prepare(
				`INSERT INTO services (environment_id, name, port, protocol, tls_verify, subdomain, route_id) VALUES (?, ?, ?, ?, ?, ?, ?)
				 ON CONFLICT (environment_id, name) DO UPDATE SET port = excluded.port, protocol = excluded.protocol,
				 tls_verify = excluded.tls_verify, subdomain = excluded.subdomain, route_id = excluded.route_id,
				 health = CASE WHEN services.port = excluded.port AND services.protocol = excluded.protocol THEN services.health ELSE 'unknown' END`
			).run(environmentId, s.name, s.port, s.protocol, s.tlsVerify === false ? 0 : 1, sub, s.protocol === 'tcp' ? null : routeId(id));
		}
		return displaced;
	})();
}

/** Record a shared port as an http service named `name` (the caller checked the naming rule and collisions). */
export function insertShared(environmentId: string, hostname: string, name: string, port: number, db: Db = getDb()): void {
	db.prepare(`INSERT INTO services (environment_id, name, port, protocol, tls_verify, subdomain, route_id, shared) VALUES (?, ?, ?, 'http', 1, ?, ?, 1)`).run(
		environmentId,
		name,
		port,
		serviceLabel({ hostname, name }),
		routeId({ environmentId, name })
	);
}

/** Remove a shared port's row; declared services are never touched here. Returns the removed row. */
export function deleteShared(environmentId: string, port: number, db: Db = getDb()): ServiceRow | undefined {
	const row = servicesOf(environmentId, db).find((s) => s.port === port && s.shared === 1);
	if (row) db.prepare('DELETE FROM services WHERE id = ? AND shared = 1').run(row.id);
	return row;
}

/** The routed (non-tcp) service whose DNS label is `label`, if any. */
export function serviceByLabel(label: string, db: Db = getDb()): ServiceRow | undefined {
	return db.prepare(`${SELECT} WHERE s.subdomain = ? AND s.protocol != 'tcp'`).get(label) as ServiceRow | undefined;
}

export function deleteServices(environmentId: string, db: Db = getDb()): void {
	db.prepare('DELETE FROM services WHERE environment_id = ?').run(environmentId);
}

/** Returns true when the health changed. */
export function recordHealth(id: number, health: ServiceHealth, at: number, db: Db = getDb()): boolean {
	const before = db.prepare('SELECT health FROM services WHERE id = ?').get(id) as { health: ServiceHealth } | undefined;
	if (!before) return false;
	db.prepare('UPDATE services SET health = ?, last_checked_at = ? WHERE id = ?').run(health, at, id);
	return before.health !== health;
}

export function toTarget(row: ServiceRow): ServiceTarget | null {
	if (!row.ip) return null;
	return { environmentId: row.environmentId, hostname: row.hostname, name: row.name, port: row.port, protocol: row.protocol, ip: row.ip, tlsVerify: row.tlsVerify !== 0 };
}
