// Parses Proxmox task ids (UPIDs). Pure; never talks to the network.
// Format: UPID:{node}:{pid 8 hex}:{pstart 8-9 hex}:{starttime 8 hex}:{type}:{id}:{user}: (trailing colon).

import type { Upid } from '$lib/shared/types/proxmox';

const UPID_RE = /^UPID:([a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:]+):([^:]*):([^:]+):$/;

/** Split a UPID into its parts. Returns null for anything that is not a well-formed UPID. */
export function parseUpid(upid: string): Upid | null {
	const m = UPID_RE.exec(upid.trim());
	if (!m) return null;
	return {
		node: m[1],
		pid: parseInt(m[2], 16),
		pstart: parseInt(m[3], 16),
		starttime: parseInt(m[4], 16),
		type: m[5],
		id: m[6],
		user: m[7]
	};
}

export function isUpid(value: unknown): value is string {
	return typeof value === 'string' && parseUpid(value) !== null;
}
