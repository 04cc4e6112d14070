// Small /proc readers: liveness, children, PID-namespace membership and RSS. Owns nothing; pure reads.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number | undefined): boolean {
	if (!pid || pid <= 0) return false;
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
		return state !== 'Z' && state !== 'X';
	} catch {
		return false;
	}
}

export function parentOf(pid: number): number | null {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
	} catch {
		return null;
	}
}

export function childrenOf(pid: number): number[] {
	const out: number[] = [];
	for (const name of readdirSync('/proc')) {
		if (!/^\d+$/.test(name)) continue;
		if (parentOf(Number(name)) === pid) out.push(Number(name));
	}
	return out;
}

export function cmdline(pid: number): string {
	try {
		return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
	} catch {
		return '';
	}
}

function pidNs(pid: number | string): string | null {
	try {
		return readlinkSync(`/proc/${pid}/ns/pid`);
	} catch {
		return null;
	}
}

/** The process name (`/proc/PID/comm`, set with prctl PR_SET_NAME), or '' when it is gone. */
export function comm(pid: number): string {
	try {
		return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
	} catch {
		return '';
	}
}

/** The user namespace of a process (`user:[inode]`), or null when it is gone. */
export function userNs(pid: number): string | null {
	try {
		return readlinkSync(`/proc/${pid}/ns/user`);
	} catch {
		return null;
	}
}

/** Every process that lives in the same PID namespace as `initPid` (itself included). */
export function namespaceMembers(initPid: number): number[] {
	const ns = pidNs(initPid);
	if (!ns || ns === pidNs('self')) return [];
	const out: number[] = [];
	for (const name of readdirSync('/proc')) {
		if (/^\d+$/.test(name) && pidNs(name) === ns) out.push(Number(name));
	}
	return out;
}

export function rssBytes(pid: number): number {
	try {
		const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
		return m ? Number(m[1]) * 1024 : 0;
	} catch {
		return 0;
	}
}

/** Every descendant of `pid` (children first-level and below), by scanning PPid in /proc. */
export function descendantsOf(pid: number): number[] {
	const parent = new Map<number, number>();
	for (const name of readdirSync('/proc')) {
		if (!/^\d+$/.test(name)) continue;
		const pp = parentOf(Number(name));
		if (pp !== null) parent.set(Number(name), pp);
	}
	const out: number[] = [];
	const queue = [pid];
	while (queue.length > 0) {
		const cur = queue.shift() as number;
		for (const [child, pp] of parent) {
			if (pp === cur) {
				out.push(child);
				queue.push(child);
			}
		}
	}
	return out;
}
