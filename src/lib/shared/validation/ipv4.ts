// IPv4 addresses and networks: the one parser and the one "usable environment address" predicate, shared by
// the browser and every server module (config schemas, platform checks, the address step, Caddy routes).
// Strict dotted quads only: no leading zeros (`010.0.0.1` is octal to some parsers and decimal to others,
// so two readers could disagree about which host it names), no spaces, no prefix unless asked for.
// Pure: no browser or server imports. Never throws on untrusted input except where the name says so.

/** One octet: 0-255 written without a leading zero. */
const OCTET = String.raw`(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)`;
/** The patterns behind `isIpv4` / `isIpv4Cidr`, exported for zod schemas that emit JSON Schema `pattern`s. */
export const IPV4_RE = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
export const IPV4_CIDR_RE = new RegExp(`^(${OCTET}(?:\\.${OCTET}){3})/(3[0-2]|[12]\\d|\\d)$`);

/** True for a strict dotted-quad IPv4 address (no prefix, no leading zeros). */
export function isIpv4(value: unknown): value is string {
	return typeof value === 'string' && IPV4_RE.test(value);
}

/** True for `a.b.c.d/prefix` with a strict address and a prefix of 0-32. */
export function isIpv4Cidr(value: unknown): value is string {
	return typeof value === 'string' && IPV4_CIDR_RE.test(value);
}

/** The address as an unsigned 32-bit integer; throws on anything `isIpv4` refuses. */
export function ipv4ToInt(ip: string): number {
	if (!isIpv4(ip)) throw new Error(`not an IPv4 address: ${JSON.stringify(String(ip).slice(0, 40))}`);
	return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0) >>> 0;
}

export function intToIpv4(n: number): string {
	return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The netmask of a prefix length as an unsigned integer (/0 is 0, not 0xffffffff). */
export function prefixMask(prefix: number): number {
	return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** A parsed network: its base address (host bits cleared) and prefix length. */
export interface Ipv4Network {
	/** Base address as an unsigned integer. */
	base: number;
	prefix: number;
	/** The address as written (host bits possibly set, e.g. a static `10.0.0.5/24`). */
	address: string;
}

/** Parse `a.b.c.d/prefix`; null when it is not one. */
export function parseCidr(value: unknown): Ipv4Network | null {
	if (!isIpv4Cidr(value)) return null;
	const [address, prefix] = value.split('/');
	const p = Number(prefix);
	return { base: (ipv4ToInt(address) & prefixMask(p)) >>> 0, prefix: p, address };
}

/** The network written canonically, `10.0.0.0/24`. */
export function formatNetwork(net: Ipv4Network): string {
	return `${intToIpv4(net.base)}/${net.prefix}`;
}

/** True when `ip` (a valid address) lies in `net`. */
export function inNetwork(ip: string, net: Ipv4Network): boolean {
	return (ipv4ToInt(ip) & prefixMask(net.prefix)) >>> 0 === net.base;
}

/**
 * Why an address can never be an environment's, whatever network is configured: it names this host
 * (0/8, 127/8), a link (169.254/16), a group (224/4) or nothing (240/4, broadcast). Null when none applies.
 */
export function reservedAddressProblem(ip: string): string | null {
	const first = ipv4ToInt(ip) >>> 24;
	const second = (ipv4ToInt(ip) >>> 16) & 255;
	if (first === 127) return 'is a loopback address (it would name the Spyre host itself)';
	if (first === 0) return 'is in 0.0.0.0/8 (this host, not a container)';
	if (first === 169 && second === 254) return 'is a link-local address';
	if (first >= 224 && first <= 239) return 'is a multicast address';
	if (first >= 240) return 'is a reserved or broadcast address';
	return null;
}

/**
 * THE predicate for an environment's address: a strict IPv4 address, not reserved, inside `network`, and
 * neither the network's own address nor its broadcast address (for prefixes below /31). Returns why not,
 * in words that can follow "The address X …", or null when it may be used.
 */
export function environmentAddressProblem(ip: unknown, network: Ipv4Network): string | null {
	if (!isIpv4(ip)) return 'is not an IPv4 address';
	const reserved = reservedAddressProblem(ip);
	if (reserved) return reserved;
	if (!inNetwork(ip, network)) return `is outside the configured network ${formatNetwork(network)}`;
	if (network.prefix < 31) {
		const n = ipv4ToInt(ip);
		const broadcast = (network.base | (~prefixMask(network.prefix) >>> 0)) >>> 0;
		if (n === network.base) return `is the network address of ${formatNetwork(network)}`;
		if (n === broadcast) return `is the broadcast address of ${formatNetwork(network)}`;
	}
	return null;
}
