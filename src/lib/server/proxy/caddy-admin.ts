// Caddy's admin API, on loopback only. The whole route list of one server is replaced in one request,
// guarded by the ETag of what we read (If-Match), so Caddy either loads the new config completely or keeps
// the old one, and a concurrent edit by someone else is never overwritten silently.

import { isLoopbackAddress } from '$lib/shared/validation/loopback';
import { SpyreError } from '../errors';
import { isOurs } from './routes';

const TIMEOUT_MS = 5000;

export interface CaddyAdmin {
	/** Name of the server in apps.http.servers that carries Spyre's routes. */
	server: string;
	routes: unknown[];
	etag: string | null;
}

/** The admin endpoint must stay on loopback: it can rewrite the proxy, so it is never reachable from outside. */
export function checkAdminUrl(adminUrl: string): URL {
	const u = new URL(adminUrl);
	// Narrower than isLoopbackHost on purpose: Node resolves names through the system resolver, where only
	// `localhost` itself is pinned (/etc/hosts), so a `*.localhost` name could be answered with another host.
	if (u.protocol !== 'http:' || !(isLoopbackAddress(u.hostname) || u.hostname === 'localhost')) {
		throw new SpyreError('config', 'caddy.admin_url must be an http:// address on loopback (e.g. http://127.0.0.1:2019).');
	}
	return u;
}

async function request(adminUrl: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
	const base = checkAdminUrl(adminUrl);
	const send = () =>
		fetch(new URL(path, base), {
			method,
			// Caddy's admin API checks Origin/Host against its listen address; the same origin always passes.
			headers: { 'content-type': 'application/json', origin: base.origin, ...headers },
			body: body === undefined ? undefined : JSON.stringify(body),
			signal: AbortSignal.timeout(TIMEOUT_MS)
		});
	try {
		try {
			return await send();
		} catch (err) {
			// Caddy may close a kept-alive admin connection after a config change; a request sent on it as it
			// closes fails before Caddy read it ("other side closed"), so it is sent once more on a new one.
			if (!closedUnderUs(err)) throw err;
			return await send();
		}
	} catch (err) {
		throw new SpyreError('config', `Caddy's admin API at ${base.origin} did not answer (${(err as Error).message}); service routes were not changed.`, { cause: err });
	}
}

function closedUnderUs(err: unknown): boolean {
	return (err as { cause?: { code?: string } })?.cause?.code === 'UND_ERR_SOCKET';
}

async function failure(res: Response, what: string): Promise<SpyreError> {
	const text = (await res.text().catch(() => '')).slice(0, 300);
	let detail = text;
	try {
		detail = (JSON.parse(text) as { error?: string }).error ?? text;
	} catch {
		// plain text answer
	}
	return new SpyreError('config', `Caddy refused ${what} (HTTP ${res.status}${detail ? `: ${detail}` : ''}); its previous configuration stays in place.`);
}

/**
 * Read the servers and pick the one for Spyre's routes: the configured name, else the server with a route
 * matching Spyre's public host name, else the only server.
 */
export async function readServer(adminUrl: string, publicHostname: string, preferred?: string): Promise<CaddyAdmin> {
	const res = await request(adminUrl, 'GET', '/config/apps/http/servers');
	if (!res.ok) throw await failure(res, 'reading its servers');
	const servers = ((await res.json()) ?? {}) as Record<string, { routes?: unknown[] }>;
	const names = Object.keys(servers);
	const server =
		(preferred && names.includes(preferred) ? preferred : undefined) ??
		names.find((n) => JSON.stringify(servers[n].routes ?? []).includes(JSON.stringify(publicHostname))) ??
		(names.length === 1 ? names[0] : undefined);
	if (!server) {
		throw new SpyreError('config', `Caddy has no HTTP server serving ${publicHostname}; add Spyre's site to the Caddyfile first.`);
	}
	const routesRes = await request(adminUrl, 'GET', `/config/apps/http/servers/${encodeURIComponent(server)}/routes`);
	if (!routesRes.ok) throw await failure(routesRes, 'reading its routes');
	const routes = ((await routesRes.json()) ?? []) as unknown[];
	return { server, routes: Array.isArray(routes) ? routes : [], etag: routesRes.headers.get('etag') };
}

/** Replace the server's route list in one request (PATCH replaces; PUT when the list does not exist yet). */
export async function writeRoutes(adminUrl: string, current: CaddyAdmin, routes: unknown[]): Promise<void> {
	const path = `/config/apps/http/servers/${encodeURIComponent(current.server)}/routes`;
	const ifMatch: Record<string, string> = current.etag ? { 'if-match': current.etag } : {};
	const hadList = current.routes.length > 0;
	const res = await request(adminUrl, hadList ? 'PATCH' : 'PUT', path, routes, ifMatch);
	if (res.status === 412) throw new SpyreError('conflict', "Caddy's configuration changed while Spyre was updating it; try again.");
	if (!res.ok) throw await failure(res, 'the new service routes');
}

/** Route ids of ours currently loaded in Caddy (for tests and the start-up log). */
export function ourRouteIds(routes: unknown[]): string[] {
	return routes.filter(isOurs).map((r) => (r as Record<string, string>)['@id']);
}
