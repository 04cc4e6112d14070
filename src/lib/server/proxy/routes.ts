// Pure construction of the Caddy JSON routes for environment services. Every value that reaches Caddy is
// checked here (labels, IPv4, ports, domain), so a bad row can never inject a matcher or a placeholder.

import { isIpv4 } from '$lib/validation/ipv4';
import { SpyreError } from '../errors';

export type ProxyMode = { kind: 'subdomain'; baseDomain: string } | { kind: 'path'; publicHost: string };

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
	/** host:port Caddy dials for `GET /auth/forward` (Spyre itself, on loopback). */
	dial: string;
	/** Host header sent to Spyre, so its Host allowlist accepts the sub-request. */
	host: string;
}

/** Every route Spyre owns carries an @id with this prefix; everything else in Caddy's config is left alone. */
export const ROUTE_ID_PREFIX = 'spyre-svc-';
export const SESSION_COOKIE_NAME = 'spyre_session';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const ENV_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;
const DOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const HOST_PORT = /^(?:[a-z0-9.-]{1,253}|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;

export { isIpv4 };

function bad(message: string, fields: Record<string, string> = {}): never {
	throw new SpyreError('validation', message, { fields });
}

export function validateTarget(t: ServiceTarget): void {
	if (!ENV_ID.test(t.environmentId)) bad('Environment id is not valid for a route.');
	if (!LABEL.test(t.hostname)) bad(`Hostname ${JSON.stringify(t.hostname)} is not a DNS label.`);
	if (!LABEL.test(t.name)) bad(`Service name ${JSON.stringify(t.name)} is not a DNS label.`);
	if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535) bad(`Service port ${t.port} is out of range.`);
	if (!['http', 'https', 'tcp'].includes(t.protocol)) bad(`Service protocol ${String(t.protocol)} is unknown.`);
	if (!isIpv4(t.ip)) bad(`Address ${JSON.stringify(t.ip)} is not an IPv4 address.`);
}

export function validateMode(mode: ProxyMode): void {
	if (mode.kind === 'subdomain' && !DOMAIN.test(mode.baseDomain)) bad('caddy.base_domain is not a DNS name.');
	if (mode.kind === 'path' && !HOST_PORT.test(mode.publicHost)) bad('server.public_url has no usable host.');
}

export function validateForwardAuth(auth: ForwardAuth): void {
	if (!HOST_PORT.test(auth.dial) || !/:\d{1,5}$/.test(auth.dial)) bad('The forward_auth address is not host:port.');
	if (!HOST_PORT.test(auth.host)) bad('The forward_auth Host is not a host name.');
}

export function routeId(t: Pick<ServiceTarget, 'environmentId' | 'name'>): string {
	return `${ROUTE_ID_PREFIX}${t.environmentId}-${t.name}`;
}

/** `<service>-<hostname>`: the DNS label under base_domain (subdomain mode). */
export function subdomainLabel(t: Pick<ServiceTarget, 'hostname' | 'name'>): string {
	return `${t.name}-${t.hostname}`;
}

export function pathPrefix(t: Pick<ServiceTarget, 'hostname' | 'name'>): string {
	return `/svc/${t.hostname}/${t.name}`;
}

/** The URL a person opens; `scheme` comes from server.public_url. */
export function serviceUrl(t: Pick<ServiceTarget, 'hostname' | 'name'>, mode: ProxyMode, scheme: 'http:' | 'https:', port = ''): string {
	const suffix = port ? `:${port}` : '';
	if (mode.kind === 'subdomain') return `${scheme}//${subdomainLabel(t)}.${mode.baseDomain}${suffix}/`;
	return `${scheme}//${mode.publicHost}${pathPrefix(t)}/`;
}

function hostOnly(hostPort: string): string {
	return hostPort.replace(/:\d{1,5}$/, '');
}

/**
 * One route per service: forward_auth to Spyre (non-2xx answers go back to the browser as they are), the
 * Spyre session cookie stripped so code in the CT never sees it, then the reverse proxy to the CT.
 * tcp services get no route (HTTP routing cannot carry raw TCP); they are only health-checked.
 */
export function buildRoute(t: ServiceTarget, mode: ProxyMode, auth: ForwardAuth): Record<string, unknown> | null {
	validateTarget(t);
	validateMode(mode);
	validateForwardAuth(auth);
	if (t.protocol === 'tcp') return null;
	const match =
		mode.kind === 'subdomain'
			? { host: [`${subdomainLabel(t)}.${mode.baseDomain}`] }
			: { host: [hostOnly(mode.publicHost)], path: [`${pathPrefix(t)}/*`] };
	const handle: Record<string, unknown>[] = [
		{
			handler: 'reverse_proxy',
			upstreams: [{ dial: auth.dial }],
			rewrite: { method: 'GET', uri: '/auth/forward' },
			headers: {
				request: {
					set: {
						Host: [auth.host],
						'X-Forwarded-Method': ['{http.request.method}'],
						'X-Forwarded-Uri': ['{http.request.uri}']
					}
				}
			},
			handle_response: [{ match: { status_code: [2] }, routes: [{ handle: [{ handler: 'headers', request: {} }] }] }]
		},
		{
			handler: 'headers',
			request: {
				replace: {
					Cookie: [{ search_regexp: `(^|;\\s*)${SESSION_COOKIE_NAME}=[^;]*`, replace: '' }]
				}
			}
		}
	];
	if (mode.kind === 'path') handle.push({ handler: 'rewrite', strip_path_prefix: pathPrefix(t) });
	handle.push({
		handler: 'reverse_proxy',
		upstreams: [{ dial: `${t.ip}:${t.port}` }],
		...(t.protocol === 'https' ? { transport: { protocol: 'http', tls: upstreamTls(t) } } : {})
	});
	return { '@id': routeId(t), match: [match], handle, terminal: true };
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
		typeof route === 'object' &&
		route !== null &&
		typeof (route as Record<string, unknown>)['@id'] === 'string' &&
		((route as Record<string, unknown>)['@id'] as string).startsWith(ROUTE_ID_PREFIX)
	);
}
