// Parses what an environment says is listening: `ss -Hltnp` lines, or /proc/net/tcp{,6} when `ss` is
// missing. Pure. The text comes from inside the CT, so it is hostile: the CT can print anything (fake
// entries, escape sequences, huge lines). Every field is matched against a strict shape, names are cut to
// printable ASCII, and the counts are bounded; a line that does not match is dropped, never half-used.
// This module never decides what is shown or shared (ports/index.ts does).

import type { ListeningPort } from '$lib/shared/types/ports';
import { isIpv4 } from '$lib/shared/validation/ipv4';
import { isLoopbackAddress } from '$lib/shared/validation/loopback';

export type { ListeningPort };

/** Lines longer than this are not something `ss` prints for one socket: dropped whole. */
export const MAX_LINE = 1024;
/** Ports kept at most (a CT could print millions of fake ones). */
export const MAX_PORTS = 256;
const MAX_ADDRESSES = 8;
const MAX_PROCESSES = 4;
/** A process name (comm) is 15 bytes in Linux; a little slack, never more. */
const MAX_NAME = 32;

const PORT = /^\d{1,5}$/;
const IPV6 = /^[0-9a-f:.]{2,45}$/i;
// An interface scope as ss prints it (`127.0.0.53%lo`); interface names are at most 15 characters.
const SCOPE = /%[A-Za-z0-9_.-]{1,15}$/;

function toPort(text: string): number | null {
	if (!PORT.test(text)) return null;
	const n = Number(text);
	return n >= 1 && n <= 65535 ? n : null;
}

/** `addr:port` as ss prints a local address: `0.0.0.0:80`, `[::]:80`, `*:80`, `127.0.0.53%lo:53`. */
export function splitLocal(local: string): { address: string; port: number } | null {
	const cut = local.lastIndexOf(':');
	if (cut <= 0) return null;
	const port = toPort(local.slice(cut + 1));
	let address = local.slice(0, cut).replace(SCOPE, '');
	if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1).replace(SCOPE, '');
	if (port === null) return null;
	if ((address.includes(':') && IPV6.test(address)) || address === '*' || isIpv4(address)) return { address: address.toLowerCase(), port };
	return null;
}

/** Process names from ss's `users:(("name",pid=1,fd=3),…)`, cut to printable ASCII. */
export function processNames(users: string): string[] {
	const names: string[] = [];
	for (const m of users.matchAll(/\("((?:[^"\\]|\\.){0,64})",pid=\d{1,10},fd=\d{1,10}\)/g)) {
		const name = m[1]
			.replace(/[^\x20-\x7e]/g, '')
			.replace(/\\/g, '')
			.trim()
			.slice(0, MAX_NAME);
		if (name && !names.includes(name)) names.push(name);
	}
	return names;
}

class Collector {
	private byPort = new Map<number, { addresses: Set<string>; processes: Set<string> }>();

	add(port: number, address: string, processes: readonly string[]): void {
		let entry = this.byPort.get(port);
		if (!entry) {
			if (this.byPort.size >= MAX_PORTS) return;
			entry = { addresses: new Set(), processes: new Set() };
			this.byPort.set(port, entry);
		}
		if (entry.addresses.size < MAX_ADDRESSES) entry.addresses.add(address);
		for (const p of processes) if (entry.processes.size < MAX_PROCESSES) entry.processes.add(p);
	}

	result(): ListeningPort[] {
		return [...this.byPort]
			.map(([port, e]) => {
				const addresses = [...e.addresses].sort();
				return { port, addresses, processes: [...e.processes].sort(), loopbackOnly: addresses.every(isLoopbackAddress) };
			})
			.sort((a, b) => a.port - b.port);
	}
}

function* lines(text: string): Generator<string> {
	for (const line of text.split('\n')) if (line.length <= MAX_LINE) yield line;
}

/** `ss -Hltnp` output: `LISTEN 0 128 0.0.0.0:8080 0.0.0.0:* users:(("python3",pid=12,fd=3))`. */
export function parseSs(text: string): ListeningPort[] {
	const out = new Collector();
	for (const line of lines(text)) {
		// State, Recv-Q, Send-Q, local, peer, then the optional process column (names may hold spaces).
		const m = /^\s*LISTEN[ \t]+\d{1,10}[ \t]+\d{1,10}[ \t]+(\S+)[ \t]+\S+(?:[ \t]+(users:\(.*))?[ \t]*$/.exec(line);
		if (!m) continue;
		const local = splitLocal(m[1]);
		if (!local) continue;
		const users = m[2] ?? '';
		out.add(local.port, local.address, users ? processNames(users) : []);
	}
	return out.result();
}

/** A /proc/net/tcp{,6} address: hex, each 32-bit word in host (little-endian) order. */
export function procAddress(hex: string): string | null {
	if (/^[0-9A-F]{8}$/i.test(hex)) {
		const n = parseInt(hex, 16);
		return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join('.');
	}
	if (!/^[0-9A-F]{32}$/i.test(hex)) return null;
	const bytes: number[] = [];
	for (let w = 0; w < 4; w++) {
		const word = hex.slice(w * 8, w * 8 + 8);
		for (let b = 3; b >= 0; b--) bytes.push(parseInt(word.slice(b * 2, b * 2 + 2), 16));
	}
	// ::ffff:a.b.c.d is an IPv4 listener on a dual-stack socket: shown as ss shows it.
	if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join('.')}`;
	const groups: string[] = [];
	for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
	return compressV6(groups);
}

function compressV6(groups: string[]): string {
	let best = -1;
	let bestLen = 0;
	for (let i = 0; i < 8;) {
		if (groups[i] !== '0') {
			i++;
			continue;
		}
		let j = i;
		while (j < 8 && groups[j] === '0') j++;
		if (j - i > bestLen) [best, bestLen] = [i, j - i];
		i = j;
	}
	if (bestLen < 2) return groups.join(':');
	return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** /proc/net/tcp and tcp6 rows in state 0A (LISTEN); no process names there. */
export function parseProcNetTcp(text: string): ListeningPort[] {
	const out = new Collector();
	for (const line of lines(text)) {
		const m = /^\s*\d{1,10}:\s+([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})\s+[0-9A-Fa-f:]+\s+0A\s/.exec(line);
		if (!m) continue;
		const address = procAddress(m[1]);
		const port = parseInt(m[2], 16);
		if (!address || port < 1) continue;
		out.add(port, address, []);
	}
	return out.result();
}

/** The first line names the source (see ports/index.ts's command); anything else is no answer. */
export const SS_MARK = 'spyre-ports:ss';
export const PROC_MARK = 'spyre-ports:proc';

export function parseScan(text: string): { source: 'ss' | 'proc'; ports: ListeningPort[] } | null {
	const nl = text.indexOf('\n');
	const first = (nl < 0 ? text : text.slice(0, nl)).trim();
	const rest = nl < 0 ? '' : text.slice(nl + 1);
	if (first === SS_MARK) return { source: 'ss', ports: parseSs(rest) };
	if (first === PROC_MARK) return { source: 'proc', ports: parseProcNetTcp(rest) };
	return null;
}
