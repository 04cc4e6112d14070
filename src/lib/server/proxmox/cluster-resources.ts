// Validates `GET /cluster/resources?type=vm` by hand: it is the one answer that grows with the cluster (one
// entry per guest, read on every page load and status refresh), and a zod object schema per entry cost 5-10 ms
// at 1,000 CTs against under 1 ms for this loop. Same rules as the other schemas (schemas.ts): unknown fields
// are dropped, numbers may arrive as strings, 0/1 flags become booleans, a missing or wrongly typed field is an
// issue at its path (`[3].vmid`), which the transport turns into a ProxmoxError of kind 'server'. Entries that
// are not guests are validated, then dropped. The spec holds this to the zod statement of the same rules
// (cluster-resources.testkit.ts).

import { z } from 'zod';
import type { ClusterResource, GuestState } from '$lib/shared/types/proxmox';

type Path = (string | number)[];
/** Field checkers take the entry index and key rather than a path: the path array is only built for a problem. */
type Report = (path: Path, message: string) => void;

const NUMERIC = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i;
const METRICS = ['maxcpu', 'cpu', 'maxmem', 'mem', 'maxdisk', 'disk', 'uptime'] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A number, a numeric string, or nothing (0), as the metric fields of schemas.ts. */
function metric(v: unknown, i: number, key: string, report: Report): number {
	if (typeof v === 'number' && Number.isFinite(v)) return v;
	if (v === undefined || v === null) return 0;
	if (typeof v === 'string') {
		const t = v.trim();
		if (NUMERIC.test(t)) return Number(t);
	}
	report([i, key], 'expected a number');
	return 0;
}

function vmid(v: unknown, i: number, key: string, report: Report): number {
	const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v.trim()) : v;
	if (typeof n === 'number' && Number.isInteger(n) && n >= 1) return n;
	report([i, key], 'expected a numeric vmid');
	return 0;
}

function optStr(v: unknown, i: number, key: string, report: Report): string | undefined {
	if (typeof v === 'string') return v === '' ? undefined : v;
	if (typeof v === 'number') return String(v);
	if (v !== null) report([i, key], 'expected a string');
	return undefined;
}

function flag(v: unknown, i: number, key: string, report: Report): boolean {
	if (v === true || v === 1 || v === '1') return true;
	if (v === undefined || v === null || v === false || v === 0 || v === '0') return false;
	report([i, key], 'expected 0 or 1');
	return false;
}

function tags(v: unknown, i: number, key: string, report: Report): string[] {
	if (v === undefined || v === null || v === '') return [];
	const list = typeof v === 'string' ? v.split(/[;,\s]+/) : Array.isArray(v) && v.every((t) => typeof t === 'string') ? v : null;
	if (!list) {
		report([i, key], 'expected a string or a list of strings');
		return [];
	}
	return list.map((t: string) => t.trim()).filter(Boolean);
}

function str(v: unknown, i: number, key: string, report: Report, nonEmpty = false): string {
	if (typeof v === 'string' && (!nonEmpty || v.length > 0)) return v;
	report([i, key], v === undefined ? 'is required' : nonEmpty && v === '' ? 'must not be empty' : 'expected a string');
	return '';
}

function entry(raw: unknown, i: number, report: Report): ClusterResource | null {
	if (!isRecord(raw)) {
		report([i], 'expected an object');
		return null;
	}
	// Fields in the order of ClusterResource, so problems are listed in that order too.
	const id = str(raw.id, i, 'id', report);
	const type = str(raw.type, i, 'type', report);
	const out = { id, type, vmid: vmid(raw.vmid, i, 'vmid', report), node: str(raw.node, i, 'node', report, true) } as ClusterResource;
	const status = str(raw.status, i, 'status', report);
	out.status = (status === 'running' || status === 'stopped' ? status : 'unknown') as GuestState;
	// Like zod: a key the answer left out stays out; one sent as null is there, undefined.
	if (raw.name !== undefined) out.name = optStr(raw.name, i, 'name', report);
	for (const key of METRICS) out[key] = metric(raw[key], i, key, report);
	out.template = flag(raw.template, i, 'template', report);
	out.tags = tags(raw.tags, i, 'tags', report);
	if (raw.lock !== undefined) out.lock = optStr(raw.lock, i, 'lock', report);
	return type === 'lxc' || type === 'qemu' ? out : null;
}

/** The guests of a `/cluster/resources?type=vm` answer, or every problem found (by path) on the way. */
export function checkClusterResources(data: unknown, report: Report): ClusterResource[] {
	if (!Array.isArray(data)) {
		report([], 'expected a list');
		return [];
	}
	const guests: ClusterResource[] = [];
	for (let i = 0; i < data.length; i++) {
		const r = entry(data[i], i, report);
		if (r) guests.push(r);
	}
	return guests;
}

/** The check above as a schema the transport can run (one zod step for the whole list, not one per field). */
export const clusterResourcesSchema: z.ZodType<ClusterResource[]> = z.unknown().transform((data, ctx) => {
	let failed = false;
	const guests = checkClusterResources(data, (path, message) => {
		failed = true;
		ctx.addIssue({ code: 'custom', path, message, input: data });
	});
	return failed ? z.NEVER : guests;
});
