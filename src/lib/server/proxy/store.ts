// The `services` table: one row per declared service of an environment, with its route id, subdomain
// and last health. Bound parameters only.

import type { ResolvedService } from '$lib/types/configs';
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
}

const SELECT = `SELECT s.id, s.environment_id AS environmentId, e.hostname, e.ip, s.name, s.port, s.protocol,
	s.tls_verify AS tlsVerify, s.subdomain, s.route_id AS routeId, s.health, s.last_checked_at AS lastCheckedAt
	FROM services s JOIN environments e ON e.id = s.environment_id`;

export function listServices(db: Db = getDb()): ServiceRow[] {
	return db.prepare(`${SELECT} ORDER BY e.hostname, s.name`).all() as ServiceRow[];
}

export function servicesOf(environmentId: string, db: Db = getDb()): ServiceRow[] {
	return db.prepare(`${SELECT} WHERE s.environment_id = ? ORDER BY s.name`).all(environmentId) as ServiceRow[];
}

/** Replace an environment's services with `declared` (keeps the health of those that stay the same). */
export function replaceServices(environmentId: string, hostname: string, declared: readonly ResolvedService[], mode: ProxyMode | null, db: Db = getDb()): void {
	db.transaction(() => {
		const keep = new Set(declared.map((s) => s.name));
		for (const row of servicesOf(environmentId, db)) {
			if (!keep.has(row.name)) db.prepare('DELETE FROM services WHERE id = ?').run(row.id);
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
	})();
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
