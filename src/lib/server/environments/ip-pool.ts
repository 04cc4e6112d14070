// Static address allocation for `proxmox.network.mode: static`: the first address of the configured
// range that no environment uses or holds in reserve. Pure; the IPv4 rules are `$lib/shared/validation/ipv4`'s.

import { intToIpv4, ipv4ToInt, isIpv4 } from '$lib/shared/validation/ipv4';

/** The first free address in [start, end], or null when the range is used up. */
export function nextFreeAddress(start: string, end: string, used: Iterable<string | null>): string | null {
	const taken = new Set<number>();
	for (const ip of used) {
		const address = ip?.split('/')[0];
		// A malformed recorded address cannot collide with a valid one.
		if (isIpv4(address)) taken.add(ipv4ToInt(address));
	}
	for (let n = ipv4ToInt(start); n <= ipv4ToInt(end); n++) {
		if (!taken.has(n)) return intToIpv4(n);
	}
	return null;
}
