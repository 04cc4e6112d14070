// Service URLs through Caddy. The `services` table is the source of truth: every change (provision,
// destroy, start-up) recomputes Spyre's whole route list from it and replaces it in Caddy in one admin
// request, so Caddy holds either the old list or the new one, never half. A failed apply is retried on the
// next health tick. Health probes run every 30 s and publish `service.health` when a state changes.

import type { ResolvedService } from '$lib/types/configs';
import { getConfig, type SpyreConfig } from './env-config';
import { messageOf } from './errors';
import { publish } from './events';
import { singleton } from './singleton';
import { readServer, writeRoutes } from './proxy/caddy-admin';
import { probe } from './proxy/health';
import { buildRoute, mergeRoutes, serviceUrl, type ForwardAuth, type ProxyMode } from './proxy/routes';
import { deleteServices, listServices, recordHealth, replaceServices, servicesOf, toTarget, type ServiceHealth } from './proxy/store';

export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:2019';
export const HEALTH_INTERVAL_MS = 30_000;

export interface ServiceView {
	name: string;
	port: number;
	protocol: 'http' | 'https' | 'tcp';
	/** null for tcp services and when Caddy is not configured. */
	url: string | null;
	health: ServiceHealth;
	lastCheckedAt: number | null;
}

export interface ServiceHealthEvent {
	environmentId: string;
	name: string;
	health: ServiceHealth;
	checkedAt: number;
}

const state = singleton('proxy-manager', () => ({
	chain: Promise.resolve() as Promise<unknown>,
	dirty: false,
	lastError: null as string | null,
	timer: null as NodeJS.Timeout | null,
	probing: false
}));

/** Subdomains when caddy.base_domain is set (wildcard DNS), else a path prefix on Spyre's own host; null without a caddy section. */
export function proxyMode(config: SpyreConfig = getConfig()): ProxyMode | null {
	if (!config.caddy) return null;
	if (config.caddy.baseDomain) return { kind: 'subdomain', baseDomain: config.caddy.baseDomain.toLowerCase() };
	return { kind: 'path', publicHost: new URL(config.server.publicUrl).host.toLowerCase() };
}

function forwardAuth(config: SpyreConfig): ForwardAuth {
	const listen = ['0.0.0.0', '::', ''].includes(config.server.host) ? '127.0.0.1' : config.server.host;
	return { dial: `${listen.includes(':') ? `[${listen}]` : listen}:${config.server.port}`, host: new URL(config.server.publicUrl).host };
}

/** Serialize applies: two overlapping read-modify-write cycles would lose one of them. */
function serialized<T>(fn: () => Promise<T>): Promise<T> {
	const next = state.chain.then(fn, fn);
	state.chain = next.catch(() => {});
	return next;
}

/** Recompute Spyre's routes from the services table and replace them in Caddy atomically. No-op without Caddy. */
export function applyRoutes(): Promise<{ applied: number } | null> {
	return serialized(async () => {
		const config = getConfig();
		const mode = proxyMode(config);
		if (!mode) return null;
		const auth = forwardAuth(config);
		const ours: Record<string, unknown>[] = [];
		for (const row of listServices()) {
			const target = toTarget(row);
			// A service of an environment without an address yet has nowhere to go; it gets its route later.
			const route = target ? buildRoute(target, mode, auth) : null;
			if (route) ours.push(route);
		}
		const adminUrl = config.caddy?.adminUrl ?? DEFAULT_ADMIN_URL;
		try {
			const current = await readServer(adminUrl, new URL(config.server.publicUrl).hostname);
			await writeRoutes(adminUrl, current, mergeRoutes(current.routes, ours));
			state.dirty = false;
			state.lastError = null;
			return { applied: ours.length };
		} catch (err) {
			state.dirty = true;
			state.lastError = messageOf(err);
			throw err;
		}
	});
}

/** After a successful provision: record the config's services and route them. Throws when Caddy refused. */
export async function servicesProvisioned(environmentId: string, hostname: string, services: readonly ResolvedService[]): Promise<void> {
	replaceServices(environmentId, hostname, services, proxyMode());
	await applyRoutes();
}

/** Before an environment's row goes: forget its services and take their routes out of Caddy. */
export async function servicesRemoved(environmentId: string): Promise<void> {
	deleteServices(environmentId);
	await applyRoutes();
}

export function serviceViews(environmentId: string): ServiceView[] {
	const config = getConfig();
	const mode = proxyMode(config);
	const pub = new URL(config.server.publicUrl);
	return servicesOf(environmentId).map((s) => ({
		name: s.name,
		port: s.port,
		protocol: s.protocol,
		url: mode && s.protocol !== 'tcp' ? serviceUrl(s, mode, pub.protocol as 'http:' | 'https:', mode.kind === 'subdomain' ? pub.port : '') : null,
		health: s.health,
		lastCheckedAt: s.lastCheckedAt
	}));
}

/** One round of probes; publishes only changes (the event log is not a metrics store). */
export async function probeAll(): Promise<void> {
	if (state.probing) return;
	state.probing = true;
	try {
		await Promise.all(
			listServices().map(async (row) => {
				const health: ServiceHealth = row.ip ? await probe(row.ip, row.port, row.protocol) : 'unknown';
				const checkedAt = Date.now();
				if (recordHealth(row.id, health, checkedAt)) {
					publish('service.health', { environmentId: row.environmentId, name: row.name, health, checkedAt });
				}
			})
		);
	} finally {
		state.probing = false;
	}
}

export function proxyStatus(): { dirty: boolean; lastError: string | null } {
	return { dirty: state.dirty, lastError: state.lastError };
}

/** Start-up: re-apply the routes from the table, then probe every 30 s (SPYRE_HEALTH_MS overrides, for tests). */
export function startProxyManager(): void {
	if (state.timer) return;
	const reapply = () => applyRoutes().catch((err) => console.error('[spyre] applying service routes to Caddy failed:', messageOf(err)));
	void reapply();
	const every = Number(process.env.SPYRE_HEALTH_MS) || HEALTH_INTERVAL_MS;
	state.timer = setInterval(() => {
		if (state.dirty) void reapply();
		void probeAll().catch((err) => console.error('[spyre] service health probes failed:', messageOf(err)));
	}, every);
	state.timer.unref();
}

export function stopProxyManager(): void {
	if (state.timer) clearInterval(state.timer);
	state.timer = null;
}
