// Which hosts are this machine: the one loopback rule, for everything that trusts "local" (the Host
// allowlist and the plain-http public URL, the setup code, Caddy's admin URL, the ports list, the peer whose
// X-Forwarded-For is believed). Every caller grants something to loopback, so anything ambiguous is NOT
// loopback: only canonical spellings count. `127.1`, `0x7f.1`, `0177.0.0.1` and `2130706433` are refused
// here, although a URL parser turns them into 127.0.0.1; a caller holding a URL passes its `hostname`, which
// the parser has already made canonical. Pure: no browser or server imports, never throws.

import { isIpv4 } from './ipv4';
import { canonicalIpv6, isDnsName } from './host';

/** `::ffff:127.a.b.c` as the canonical form writes it: the IPv4 half in hex, its first byte 0x7f. */
const MAPPED_LOOPBACK = /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/;

/**
 * An IP address of this host: 127.0.0.0/8 as a strict dotted quad, `::1` in any spelling, or 127/8
 * IPv4-mapped (`::ffff:127.0.0.1`, how a dual-stack socket reports an IPv4 peer). IPv6 with or without
 * brackets (URL.hostname has them, socket addresses and `ss` do not).
 */
export function isLoopbackAddress(address: string): boolean {
	const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
	if (isIpv4(address)) return address.startsWith('127.');
	const v6 = canonicalIpv6(bare);
	return v6 !== null && (v6 === '::1' || MAPPED_LOOPBACK.test(v6));
}

/**
 * A host (a URL's hostname, a Host header's name, a listen address) that is this machine: a loopback
 * address, or `localhost` and any name under it (RFC 6761 6.3; browsers resolve them to loopback themselves
 * and count them as secure contexts, so no DNS answer can re-point them), any case, with or without the
 * trailing dot of a fully-qualified name.
 */
export function isLoopbackHost(host: string): boolean {
	if (isLoopbackAddress(host)) return true;
	const name = host.toLowerCase().replace(/\.$/, '');
	return (name === 'localhost' || name.endsWith('.localhost')) && isDnsName(name);
}
