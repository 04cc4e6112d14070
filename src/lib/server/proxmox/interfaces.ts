// Reads a container's reported IPv4 addresses from `GET /nodes/{node}/lxc/{vmid}/interfaces`. Pure.
// On Proxmox these come from INSIDE the CT (its root can report anything), so this module only lists
// them; which one may be used is decided by the caller's `accept` (environments/address.ts applies the
// one rule in `$lib/shared/validation/ipv4`), and nothing is trusted before the pinned host key answers there.

import type { LxcInterface } from '$lib/shared/types/proxmox';
import { isIpv4 } from '$lib/shared/validation/ipv4';

function ipv4sOf(iface: LxcInterface): string[] {
	const candidates = [iface.inet, ...iface.ipAddresses.filter((a) => a.type === 'inet').map((a) => a.address)];
	const out: string[] = [];
	for (const c of candidates) {
		const ip = c?.trim().split('/')[0];
		if (isIpv4(ip) && !out.includes(ip)) out.push(ip);
	}
	return out;
}

/** Every IPv4 address (without prefix) on an interface other than `lo`, eth0's first. */
export function reportedIpv4s(ifaces: readonly LxcInterface[] | null | undefined): string[] {
	if (!ifaces) return [];
	const usable = ifaces.filter((i) => i.name !== 'lo');
	const ordered = [...usable.filter((i) => i.name === 'eth0'), ...usable.filter((i) => i.name !== 'eth0')];
	return [...new Set(ordered.flatMap(ipv4sOf))];
}

/**
 * The first reported address `accept` allows (eth0 first), null when none yet. `accept` returns why an
 * address is refused, or null; without it every address is allowed (read-only display only).
 */
export function interfacesToIp(ifaces: readonly LxcInterface[] | null | undefined, accept: (ip: string) => string | null = () => null): string | null {
	return reportedIpv4s(ifaces).find((ip) => accept(ip) === null) ?? null;
}
