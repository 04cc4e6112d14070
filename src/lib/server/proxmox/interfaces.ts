// Picks a container's address from `GET /nodes/{node}/lxc/{vmid}/interfaces`. Pure.
// Only the `lo` interface is skipped, not 127/8 addresses: the simulator puts 127.x.y.z on eth0.

import type { LxcInterface } from '$lib/types/proxmox';

function ipv4Of(iface: LxcInterface): string | null {
	const candidates = [iface.inet, ...iface.ipAddresses.filter((a) => a.type === 'inet').map((a) => a.address)];
	for (const c of candidates) {
		const ip = c?.trim().split('/')[0];
		if (ip && /^(\d{1,3}\.){3}\d{1,3}$/.test(ip)) return ip;
	}
	return null;
}

/** First IPv4 address (without prefix) of a non-loopback interface, eth0 first; null when none yet. */
export function interfacesToIp(ifaces: readonly LxcInterface[] | null | undefined): string | null {
	if (!ifaces) return null;
	const usable = ifaces.filter((i) => i.name !== 'lo');
	const ordered = [...usable.filter((i) => i.name === 'eth0'), ...usable.filter((i) => i.name !== 'eth0')];
	for (const iface of ordered) {
		const ip = ipv4Of(iface);
		if (ip) return ip;
	}
	return null;
}
