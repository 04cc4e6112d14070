// Pure construction of the Caddy JSON routes for environment services, and the one naming rule of service
// hosts. Every value that reaches Caddy is checked here (labels, IPv4, ports, domain), so a bad row can
// never inject a matcher or a placeholder. Never serves anything on Spyre's own host.

import { isIpv4 } from '$lib/shared/validation/ipv4';
import { isDnsName } from '$lib/shared/validation/host';
import { DNS_LABEL_RE, SERVICE_LABEL_SEPARATOR } from '$lib/shared/validation/environment';
import { SpyreError } from '../errors';
import { SPYRE_COOKIE_NAMES } from '../auth/session-cookie';

/**
 * Services live only on hosts of their own under caddy.base_domain (wildcard DNS). There is no mode that
 * serves a service on Spyre's own host: a page there would be Spyre's origin and act as the owner.
 */
export type ProxyMode = { kind: 'subdomain'; baseDomain: string };

export interface ServiceTarget {
	environmentId: string;
	hostname: string;
	name: string;
	port: number;
	protocol: 'http' | 'https' | 'tcp';
	ip: string;
	/** https only: check the upstream's certificate (against the system's roots, for the CT's hostname). */
	tlsVerify: boolean;
}

export interface ForwardAuth {
	/** host:port Caddy dials for `GET /auth/forward` and the handshake callback (Spyre itself, on loopback). */
	dial: string;
	/** Host header sent to Spyre, so its Host allowlist accepts the sub-request. */
	host: string;
}

/** Every route Spyre owns carries an @id with this prefix; everything else in Caddy's config is left alone. */
export const ROUTE_ID_PREFIX = 'spyre-svc-';
/**
 * Paths under this prefix on a service host are Spyre's (the credential handshake's callback): Caddy sends
 * them to Spyre, never to the CT, so a service cannot answer them or see the one-time code.
 */
export const RESERVED_PREFIX = '/__spyre';
/** Spyre's path that the reserved prefix is rewritten to. */
export const CALLBACK_PATH = '/auth/service/callback';
/** Header Caddy sets (overwriting anything the browser sent) to tell Spyre which service host asked. */
export const SERVICE_HOST_HEADER = 'X-Spyre-Service-Host';

const LABEL = DNS_LABEL_RE;
const ENV_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;
const HOST_PORT = /^(?:[a-z0-9.-]{1,253}|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;
/** Cookie names are matched case-insensitively: browsers treat the `__Host-` prefix that way. */
/** (The names are letters, `_` and `-` only: nothing to escape for Go's regexp.) */
const SPYRE_COOKIES = `(?i)(${SPYRE_COOKIE_NAMES.join('|')})`;

export { isIpv4 };

function bad(message: string, fields: Record<string, string> = {}): never {
	throw new SpyreError('validation', message, { fields });
}

export function validateTarget(t: ServiceTarget): void {
	if (!ENV_ID.test(t.environmentId)) bad('Environment id is not valid for a route.');
	if (!LABEL.test(t.hostname)) bad(`Hostname ${JSON.stringify(t.hostname)} is not a DNS label without "--".`);
	if (!LABEL.test(t.name)) bad(`Service name ${JSON.stringify(t.name)} is not a DNS label without "--".`);
	if (serviceLabel(t).length > 63) bad(`Service ${t.name} of ${t.hostname}: "${serviceLabel(t)}" is longer than a DNS label may be (63).`);
	if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535) bad(`Service port ${t.port} is out of range.`);
	if (!['http', 'https', 'tcp'].includes(t.protocol)) bad(`Service protocol ${String(t.protocol)} is unknown.`);
	if (!isIpv4(t.ip)) bad(`Address ${JSON.stringify(t.ip)} is not an IPv4 address.`);
}

export function validateMode(mode: ProxyMode): void {
	// Lower case as well (proxy/index.ts lower-cases the configured name): parseServiceHost compares a
	// lower-cased Host header against it, and Caddy's host matcher is given it as written.
	if (mode.kind !== 'subdomain' || !isDnsName(mode.baseDomain) || mode.baseDomain !== mode.baseDomain.toLowerCase()) bad('caddy.base_domain is not a lower-case DNS name.');
}

export function validateForwardAuth(auth: ForwardAuth): void {
	if (!HOST_PORT.test(auth.dial) || !/:\d{1,5}$/.test(auth.dial)) bad('The forward_auth address is not host:port.');
	if (!HOST_PORT.test(auth.host)) bad('The forward_auth Host is not a host name.');
}

export function routeId(t: Pick<ServiceTarget, 'environmentId' | 'name'>): string {
	return `${ROUTE_ID_PREFIX}${t.environmentId}-${t.name}`;
}

/**
 * `<service>--<hostname>`: the DNS label under base_domain. Neither part may contain `--` (the one name
 * rule, DNS_LABEL_RE), so the label splits back into exactly one pair: two services never share a host.
 */
export function serviceLabel(t: Pick<ServiceTarget, 'hostname' | 'name'>): string {
	return `${t.name}${SERVICE_LABEL_SEPARATOR}${t.hostname}`;
}

/** The service's host name (no port). */
export function serviceHost(t: Pick<ServiceTarget, 'hostname' | 'name'>, mode: ProxyMode): string {
	return `${serviceLabel(t)}.${mode.baseDomain}`;
}

/** The (hostname, service) a service host names, or null when it is not one (the inverse of serviceHost). */
export function parseServiceHost(host: string, mode: ProxyMode): { hostname: string; name: string } | null {
	const suffix = `.${mode.baseDomain}`;
	const h = host.toLowerCase();
	if (!h.endsWith(suffix)) return null;
	const label = h.slice(0, -suffix.length);
	const at = label.indexOf(SERVICE_LABEL_SEPARATOR);
	if (at < 0) return null;
	const name = label.slice(0, at);
	const hostname = label.slice(at + SERVICE_LABEL_SEPARATOR.length);
	return LABEL.test(name) && LABEL.test(hostname) ? { hostname, name } : null;
}

/** The URL (and so the origin) a person opens; `scheme` and `port` come from server.public_url. */
export function serviceUrl(t: Pick<ServiceTarget, 'hostname' | 'name'>, mode: ProxyMode, scheme: 'http:' | 'https:', port = ''): string {
	const suffix = port ? `:${port}` : '';
	return `${scheme}//${serviceHost(t, mode)}${suffix}/`;
}

/**
 * One route per service host, a subroute of two:
 * 1. `/__spyre/*` goes to Spyre's handshake callback (never to the CT), with the service host in a header
 *    Caddy sets itself. Spyre sets the service's credential cookie there, host-only for this host.
 * 2. Everything else: forward_auth to Spyre (non-2xx answers go back to the browser as they are); every
 *    Spyre cookie stripped from the request so code in the CT never sees one; every `Set-Cookie` of the
 *    CT's answer that names a Spyre cookie blanked; then the reverse proxy to the CT.
 * tcp services get no route (HTTP routing cannot carry raw TCP); they are only health-checked.
 */
export function buildRoute(t: ServiceTarget, mode: ProxyMode, auth: ForwardAuth): Record<string, unknown> | null {
	validateTarget(t);
	validateMode(mode);
	validateForwardAuth(auth);
	if (t.protocol === 'tcp') return null;
	const host = serviceHost(t, mode);
	// A WebSocket upgrade to the service is asked about as a plain GET: without Connection/Upgrade, Caddy
	// does not try to upgrade the sub-request to Spyre (Origin and Sec-Fetch-* still go along).
	const toSpyre = (uri: string, extra: Record<string, string[]> = {}) => ({
		handler: 'reverse_proxy',
		upstreams: [{ dial: auth.dial }],
		rewrite: { method: 'GET', uri },
		headers: { request: { set: { Host: [auth.host], [SERVICE_HOST_HEADER]: [host], ...extra }, delete: ['Connection', 'Upgrade'] } }
	});
	const callback = {
		match: [{ path: [`${RESERVED_PREFIX}/*`, RESERVED_PREFIX] }],
		handle: [toSpyre(`${CALLBACK_PATH}?{http.request.uri.query}`)],
		terminal: true
	};
	const service = {
		handle: [
			{
				...toSpyre('/auth/forward', { 'X-Forwarded-Method': ['{http.request.method}'], 'X-Forwarded-Uri': ['{http.request.uri}'] }),
				handle_response: [{ match: { status_code: [2] }, routes: [{ handle: [{ handler: 'headers', request: {} }] }] }]
			},
			{
				handler: 'headers',
				request: { replace: { Cookie: [{ search_regexp: `(^|;\\s*)${SPYRE_COOKIES}=[^;]*`, replace: '' }] } },
				response: { replace: { 'Set-Cookie': [{ search_regexp: `^\\s*${SPYRE_COOKIES}\\s*=.*$`, replace: '' }] }, deferred: true }
			},
			{
				handler: 'reverse_proxy',
				upstreams: [{ dial: `${t.ip}:${t.port}` }],
				...(t.protocol === 'https' ? { transport: { protocol: 'http', tls: upstreamTls(t) } } : {})
			}
		]
	};
	return { '@id': routeId(t), match: [{ host: [host] }], handle: [{ handler: 'subroute', routes: [callback, service] }], terminal: true };
}

/**
 * Caddy dials the CT by address, so the name to check the certificate against is the CT's hostname (also
 * sent as SNI). Skipping the check happens only where the config asked for it (`tls_verify: false`).
 */
function upstreamTls(t: ServiceTarget): Record<string, unknown> {
	return t.tlsVerify ? { server_name: t.hostname } : { insecure_skip_verify: true };
}

/** Our routes first (they are more specific than Spyre's own site route), then everyone else's, unchanged. */
export function mergeRoutes(existing: unknown[], ours: Record<string, unknown>[]): unknown[] {
	const others = existing.filter((r) => !isOurs(r));
	return [...ours, ...others];
}

export function isOurs(route: unknown): boolean {
	return (
		typeof route === 'object' && route !== null && typeof (route as Record<string, unknown>)['@id'] === 'string' && ((route as Record<string, unknown>)['@id'] as string).startsWith(ROUTE_ID_PREFIX)
	);
}
