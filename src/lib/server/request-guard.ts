// Which requests Spyre answers at all, shared by the page/API hook and the WebSocket upgrade router:
// - Host allowlist against DNS rebinding: a page on evil.example whose name resolves to Spyre's address
//   sends `Host: evil.example`; only the configured public host (and, for a loopback-only Spyre, loopback
//   names and IP literals, which cannot be rebound) get an answer, everyone else 421.
// - Origin on every mutating request: browsers send Origin on every cross-site POST/PUT/PATCH/DELETE
//   (body-less ones included), so a missing or foreign Origin is refused.
// "Local" means the public URL itself is loopback (./setup.sh demo, tests): decided by configuration,
// never by whether Proxmox is simulated.

import { isIpLiteral } from '$lib/shared/validation/host';
import { isLoopbackHost } from '$lib/shared/validation/loopback';

export interface HostPolicy {
	/** `host[:port]` of server.public_url, lower case. */
	publicHost: string;
	publicOrigin: string;
	/** `http:` or `https:`, so a Host with the default port matches one without. */
	protocol: string;
	/** The public URL is loopback: Spyre is meant to be used on this machine only. */
	local: boolean;
}

export function hostPolicy(publicUrl: string): HostPolicy {
	const u = new URL(publicUrl);
	return { publicHost: u.host.toLowerCase(), publicOrigin: u.origin, protocol: u.protocol, local: isLoopbackHost(u.hostname) };
}

/** Whether a request addressed to `host` (the Host header, `name[:port]`) may be answered. */
export function hostAllowed(host: string | null | undefined, policy: HostPolicy): boolean {
	if (!host || host.length > 300) return false;
	let parsed: URL;
	try {
		parsed = new URL(`${policy.protocol}//${host}`);
	} catch {
		return false;
	}
	// Anything beyond name[:port] (userinfo, a path) means the header was not a plain host.
	if (parsed.username || parsed.password || parsed.pathname !== '/' || parsed.search || parsed.hash) return false;
	if (parsed.host.toLowerCase() === policy.publicHost) return true;
	if (!policy.local) return false;
	// An IP literal is a name no DNS answer can re-point.
	return isLoopbackHost(parsed.hostname) || isIpLiteral(parsed.hostname);
}

/**
 * Origin of a mutating request: it must be present and equal Spyre's public origin or the origin the
 * request was addressed to (which already passed the Host allowlist).
 */
export function mutationOriginAllowed(origin: string | null | undefined, requestOrigin: string, policy: HostPolicy): boolean {
	if (!origin || origin === 'null') return false;
	let parsed: URL;
	try {
		parsed = new URL(origin);
	} catch {
		return false;
	}
	if (!['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== origin.replace(/\/$/, '')) return false;
	return parsed.origin === policy.publicOrigin || parsed.origin === requestOrigin;
}

export const MUTATING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Paths a service host's requests reach through Caddy (with the browser's fetch metadata of that host). */
export const SERVICE_GATEWAY_PATHS = new Set(['/auth/forward', '/auth/service/callback']);

/**
 * Resource isolation (fetch metadata): a request another site made - including a service page under the
 * same parent domain (`same-site`) - is answered only when it is a top-level page load (the person
 * following a link; cookies are SameSite=Lax anyway). Its fetches, form posts, embeds and scripts are
 * refused before anything is read, whatever cookies they carry. Browsers without fetch metadata send no
 * Sec-Fetch-Site and fall back to the Origin and SameSite checks.
 */
export function crossSiteAllowed(h: { site: string | null; mode: string | null; dest: string | null }, method: string, path: string): boolean {
	if (h.site === null || h.site === 'same-origin' || h.site === 'none') return true;
	if (path === '/healthz' || SERVICE_GATEWAY_PATHS.has(path)) return true;
	return h.mode === 'navigate' && (method === 'GET' || method === 'HEAD') && (h.dest === 'document' || h.dest === null);
}
