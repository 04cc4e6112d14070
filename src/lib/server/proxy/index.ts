// Service URLs through Caddy. The `services` table is the source of truth: every change (provision,
// destroy, start-up) recomputes Spyre's whole route list from it and replaces it in Caddy in one admin
// request, so Caddy holds either the old list or the new one, never half. A failed apply is retried on the
// next health tick. Health probes run every 30 s and publish `service.health` when a state changes.
// Services get URLs only under caddy.base_domain, never on Spyre's own host (docs/security.md, "Service origins").

import type { ResolvedService } from '$lib/shared/types/configs';
import { getConfig, type SpyreConfig } from '../env-config';
import { SpyreError, messageOf } from '../errors';
import { publish } from '../events';
import { singleton } from '../singleton';
import { readServer, writeRoutes } from './caddy-admin';
import { probe } from './health';
import { buildRoute, mergeRoutes, parseServiceHost, serviceHost, serviceLabel, serviceUrl, validateTarget, type ForwardAuth, type ProxyMode } from './routes';
import { deleteServices, deleteShared, insertShared, listServices, recordHealth, replaceServices, serviceByLabel, servicesOf, toTarget, type ServiceHealth } from './store';
import { revokeForEnvironment, revokeForService } from '../service-auth';

export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:2019';
export const HEALTH_INTERVAL_MS = 30_000;

export interface ServiceView {
	name: string;
	port: number;
	protocol: 'http' | 'https' | 'tcp';
	/** The service's own URL; null for tcp services and without caddy.base_domain. */
	url: string | null;
	/** Spyre's link that opens it through the credential handshake (same origin, so no extra click). */
	openUrl: string | null;
	/** Why an http(s) service has no URL. */
	note: string | null;
	health: ServiceHealth;
	lastCheckedAt: number | null;
	/** A port shared from the environment page (Unshare removes it), not a service of the config. */
	shared: boolean;
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

/** Shown where a service URL would be when services cannot have one. */
export const NO_SERVICE_URL = 'services need caddy.base_domain with wildcard DNS';

/**
 * Service hosts under caddy.base_domain (wildcard DNS); null without one. There is no fallback on Spyre's
 * own host (the old /svc/ path mode): a service page there would be Spyre's origin and act as the owner.
 */
export function proxyMode(config: SpyreConfig = getConfig()): ProxyMode | null {
	if (!config.caddy?.baseDomain) return null;
	return { kind: 'subdomain', baseDomain: config.caddy.baseDomain.toLowerCase() };
}

/** The origin of a service host as browsers see it: Spyre's public scheme and port (Caddy serves both). */
export function serviceOrigin(host: string, config: SpyreConfig = getConfig()): string {
	const pub = new URL(config.server.publicUrl);
	return `${pub.protocol}//${host}${pub.port ? `:${pub.port}` : ''}`;
}

export interface RoutedService {
	environmentId: string;
	hostname: string;
	service: string;
	/** Host name without port. */
	host: string;
	origin: string;
}

/** The routed service a host name (as Caddy reported it) belongs to, or null. */
export function serviceForHost(host: string | null | undefined, config: SpyreConfig = getConfig()): RoutedService | null {
	const mode = proxyMode(config);
	if (!mode || !host || host.length > 253) return null;
	const pair = parseServiceHost(host, mode);
	if (!pair) return null;
	const row = serviceByLabel(serviceLabel(pair));
	if (!row || row.hostname !== pair.hostname || row.name !== pair.name) return null;
	const h = serviceHost(pair, mode);
	return { environmentId: row.environmentId, hostname: row.hostname, service: row.name, host: h, origin: serviceOrigin(h, config) };
}

/**
 * The naming rule at provision: every routed service of `hostname` gets a host of its own that is neither
 * Spyre's host nor another environment's service host. Throws a conflict naming both.
 */
export function checkServiceNames(environmentId: string | null, hostname: string, services: readonly ResolvedService[] | undefined, config: SpyreConfig = getConfig()): void {
	const mode = proxyMode(config);
	if (!mode) return;
	const spyreHost = new URL(config.server.publicUrl).hostname.toLowerCase();
	for (const s of services ?? []) {
		if (s.protocol === 'tcp') continue;
		validateTarget({ environmentId: environmentId ?? 'new', hostname, name: s.name, port: s.port, protocol: s.protocol, ip: '0.0.0.0', tlsVerify: true });
		const host = serviceHost({ hostname, name: s.name }, mode);
		if (host === spyreHost) {
			throw new SpyreError('conflict', `Service ${s.name} of ${hostname} would be at ${host}, which is Spyre's own host. Rename the service or the environment.`, {
				fields: { hostname: `${host} is Spyre's own host.` }
			});
		}
		const taken = serviceByLabel(serviceLabel({ hostname, name: s.name }));
		if (taken && taken.environmentId !== environmentId) {
			throw new SpyreError('conflict', `Service ${s.name} of ${hostname} would be at ${host}, which service ${taken.name} of environment ${taken.hostname} already uses.`, {
				fields: { hostname: `${host} is taken by service ${taken.name} of ${taken.hostname}.` }
			});
		}
	}
}

/** Where Caddy asks Spyre whether a service request may pass: the effective listen address (PORT/HOST applied by env-config), a wildcard bind dialled on loopback. */
export function forwardAuth(config: SpyreConfig = getConfig()): ForwardAuth {
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
		const auth = forwardAuth(config);
		if (!config.caddy) return null;
		const ours: Record<string, unknown>[] = [];
		const spyreHost = new URL(config.server.publicUrl).hostname.toLowerCase();
		for (const row of mode ? listServices() : []) {
			const target = toTarget(row);
			// A service of an environment without an address yet has nowhere to go; it gets its route later.
			if (!target || !mode) continue;
			try {
				// A row from before the naming rule (a `--` in a name, Spyre's own host) gets no route.
				if (serviceHost(target, mode) === spyreHost) throw new Error(`its host ${spyreHost} is Spyre's own`);
				const route = buildRoute(target, mode, auth);
				if (route) ours.push(route);
			} catch (err) {
				console.error(`[spyre] service ${row.name} of ${row.hostname} gets no route: ${messageOf(err)}`);
			}
		}
		// Without base_domain the list is empty: routes of the removed path mode are taken out of Caddy.
		const adminUrl = config.caddy.adminUrl ?? DEFAULT_ADMIN_URL;
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
	checkServiceNames(environmentId, hostname, services);
	// A shared port the config now declares (by name or port) becomes the declared service.
	for (const gone of replaceServices(environmentId, hostname, services, proxyMode())) revokeForService(environmentId, gone.name);
	await applyRoutes();
}

/**
 * Share a port as the http service `name`: the same host, route, forward_auth and credential rules as a
 * declared service. Refused without caddy.base_domain, when the port or the name is taken by a service of
 * this environment, or when the host breaks the naming rule (checkServiceNames). The row is stored first,
 * so a failed apply is retried on the next health tick; the answer then carries Caddy's error as a warning.
 */
export async function serviceShared(environmentId: string, hostname: string, name: string, port: number): Promise<{ service: ServiceView; warning: string | null }> {
	if (!proxyMode()) throw new SpyreError('conflict', `A shared port needs a URL of its own, and ${NO_SERVICE_URL}.`);
	const mine = servicesOf(environmentId);
	const samePort = mine.find((s) => s.port === port);
	if (samePort) {
		throw new SpyreError('conflict', samePort.shared ? `Port ${port} is already shared as ${samePort.name}.` : `Port ${port} is the service ${samePort.name} of ${hostname}'s config; open it there.`, {
			fields: { port: samePort.shared ? 'Already shared.' : `Declared as ${samePort.name}.` }
		});
	}
	const sameName = mine.find((s) => s.name === name);
	if (sameName) throw new SpyreError('conflict', `${hostname} already has a service named ${name} (port ${sameName.port}).`, { fields: { port: `${name} is taken.` } });
	checkServiceNames(environmentId, hostname, [{ name, port, protocol: 'http' }]);
	insertShared(environmentId, hostname, name, port);
	let warning: string | null = null;
	await applyRoutes().catch((err: unknown) => {
		warning = `Caddy did not take the route yet (${messageOf(err)}); Spyre retries every health tick.`;
	});
	const service = serviceViews(environmentId).find((s) => s.name === name);
	if (!service) throw new SpyreError('conflict', `Environment ${hostname} was removed while its port ${port} was being shared.`);
	return { service, warning };
}

/** Unshare: the row goes, every credential for its host is revoked, and the route leaves Caddy. Declared services are never removed here. */
export async function serviceUnshared(environmentId: string, hostname: string, port: number): Promise<{ name: string; warning: string | null }> {
	const row = deleteShared(environmentId, port);
	if (!row) throw new SpyreError('not_found', `Port ${port} of ${hostname} is not shared.`);
	revokeForService(environmentId, row.name);
	let warning: string | null = null;
	await applyRoutes().catch((err: unknown) => {
		warning = `Caddy still has the route (${messageOf(err)}); Spyre retries every health tick, and its credentials are already revoked.`;
	});
	return { name: row.name, warning };
}

/** Before an environment's row goes: forget its services and take their routes out of Caddy. */
export async function servicesRemoved(environmentId: string): Promise<void> {
	revokeForEnvironment(environmentId);
	deleteServices(environmentId);
	await applyRoutes();
}

export function serviceViews(environmentId: string): ServiceView[] {
	const config = getConfig();
	const mode = proxyMode(config);
	const pub = new URL(config.server.publicUrl);
	return servicesOf(environmentId).map((s) => {
		const routed = mode !== null && s.protocol !== 'tcp';
		return {
			name: s.name,
			port: s.port,
			protocol: s.protocol,
			url: routed ? serviceUrl(s, mode, pub.protocol as 'http:' | 'https:', pub.port) : null,
			openUrl: routed ? `/auth/service?${new URLSearchParams({ host: serviceHost(s, mode), to: '/' })}` : null,
			note: s.protocol !== 'tcp' && !mode ? NO_SERVICE_URL : null,
			health: s.health,
			lastCheckedAt: s.lastCheckedAt,
			shared: s.shared === 1
		};
	});
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
