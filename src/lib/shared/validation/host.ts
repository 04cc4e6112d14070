// Host names: the one DNS-name rule and the one IPv6-literal reader, shared by the browser and every server
// module that checks a host (environment.yaml's base_domain and public host, Caddy routes, package proxies,
// npm registries, git remotes). Loopback is decided in ./loopback, IPv4 in ./ipv4. Pure: no browser or
// server imports, never throws.
//
// A DNS name here is what a URL can carry as a host without rewriting it:
// - labels of letters, digits and inner hyphens, at most 63 each and 253 in all (RFC 1123);
// - any case: DNS compares names case-insensitively (RFC 4343), so `Example.COM` in a config is the same
//   name; whoever compares names (proxy/routes.ts) lower-cases them first;
// - no trailing dot: `example.com.` is a different Host header and origin to a browser;
// - no Unicode: URLs carry an international name in its ASCII form (`xn--bcher-kva.example`);
// - not ending in a number (`10.0.0.1`, `999.1.1.1`, `a.0x1f`): URL parsers read such a host as an IPv4
//   address (WHATWG URL, "ends in a number"), so it is an address and must pass `isIpv4`, never this rule.

import { isIpv4 } from './ipv4';

/** One label: a letter or digit, then letters, digits and `-`, ending in a letter or digit; at most 63. */
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/** A last label URL parsers take as a number: decimal, or `0x` hex (possibly empty). */
const NUMERIC_LAST_LABEL = String.raw`(?!(?:.*\.)?(?:[0-9]+|0[xX][0-9A-Fa-f]*)$)`;
/**
 * The whole rule as one pattern, without flags, so a zod schema can emit it as a JSON Schema `pattern`.
 * `isDnsName` is the same test.
 */
export const DNS_NAME_RE = new RegExp(`^(?=.{1,253}$)${NUMERIC_LAST_LABEL}${LABEL}(?:\\.${LABEL})*$`);

/** The message, after the field's name. */
export const DNS_NAME_RULE = 'must be a DNS name such as spyre.example.com: letters, digits and -, labels joined by dots, no trailing dot (an international name in its xn-- form)';

/**
 * True for a DNS name by the rule above (any case). These predicates return plain booleans, not type guards:
 * callers hold strings, and a guard would narrow a string that failed to `never`.
 */
export function isDnsName(value: unknown): boolean {
	return typeof value === 'string' && DNS_NAME_RE.test(value);
}

/**
 * Characters a host may have inside a URL pattern (a name, an IPv4 address or a bracketed IPv6 address), for
 * modules that match a whole URL with one regex. Only a shape: what it captured must still pass `isUrlHost`.
 */
export const URL_HOST_SHAPE = String.raw`(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])`;

/**
 * An IPv6 address (without brackets) in its canonical form (RFC 5952: lower case, longest zero run as `::`,
 * IPv4-mapped as hex), or null when it is not one. The WHATWG URL parser does the reading: it is the one
 * browsers and Node's fetch use, so this agrees with where a URL with that literal actually goes.
 */
export function canonicalIpv6(text: string): string | null {
	if (!/^[0-9A-Fa-f:.]{2,45}$/.test(text)) return null;
	try {
		return new URL(`http://[${text}]/`).hostname.slice(1, -1);
	} catch {
		return null;
	}
}

/** An address as a URL carries it: a strict IPv4 address or a bracketed IPv6 address. */
export function isIpLiteral(host: unknown): boolean {
	if (typeof host !== 'string') return false;
	if (host.startsWith('[') && host.endsWith(']')) return canonicalIpv6(host.slice(1, -1)) !== null;
	return isIpv4(host);
}

/** A host as a URL carries it: a DNS name or an address (`isIpLiteral`). */
export function isUrlHost(host: unknown): boolean {
	return isIpLiteral(host) || isDnsName(host);
}
