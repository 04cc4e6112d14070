// UPIDs: the task identifiers Proxmox hands out. Owns formatting and parsing of
// `UPID:{node}:{pid}:{pstart}:{starttime}:{type}:{id}:{user}:` (uppercase hex, trailing colon).

export interface Upid {
	node: string;
	pid: number;
	pstart: number;
	starttime: number;
	type: string;
	id: string;
	user: string;
}

const hex8 = (n: number): string => n.toString(16).toUpperCase().padStart(8, '0');

export function formatUpid(u: Upid): string {
	return `UPID:${u.node}:${hex8(u.pid)}:${hex8(u.pstart)}:${hex8(u.starttime)}:${u.type}:${u.id}:${u.user}:`;
}

const UPID_RE = /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-F]{8}):([0-9A-F]{8,9}):([0-9A-F]{8}):([^:\s]+):([^:\s]*):([^:\s]+):$/;

/** Parse a UPID; null when it is not one (the caller turns that into the real error text). */
export function parseUpid(text: string): Upid | null {
	const m = UPID_RE.exec(text);
	if (!m) return null;
	return {
		node: m[1],
		pid: parseInt(m[3], 16),
		pstart: parseInt(m[4], 16),
		starttime: parseInt(m[5], 16),
		type: m[6],
		id: m[7],
		user: m[8]
	};
}

/** Split a task user `root@pam!spyre` into the user and token id, as the task status endpoint does. */
export function splitTokenUser(user: string): { user: string; tokenid?: string } {
	const i = user.indexOf('!');
	return i < 0 ? { user } : { user: user.slice(0, i), tokenid: user.slice(i + 1) };
}
