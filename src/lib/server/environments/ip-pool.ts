// Static address allocation for `proxmox.network.mode: static`: the first address of the configured
// range that no environment uses. Pure functions over dotted-quad strings.

export function ipToInt(ip: string): number {
	const parts = ip.split('.').map(Number);
	if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
		throw new Error(`not an IPv4 address: ${ip}`);
	}
	return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

export function intToIp(n: number): string {
	return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The first free address in [start, end], or null when the range is used up. */
export function nextFreeAddress(start: string, end: string, used: Iterable<string | null>): string | null {
	const taken = new Set<number>();
	for (const ip of used) {
		if (!ip) continue;
		try {
			taken.add(ipToInt(ip.split('/')[0]));
		} catch {
			// A malformed recorded address cannot collide with a valid one.
		}
	}
	for (let n = ipToInt(start); n <= ipToInt(end); n++) {
		if (!taken.has(n)) return intToIp(n);
	}
	return null;
}
