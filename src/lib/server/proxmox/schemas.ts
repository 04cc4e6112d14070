// Validates and normalises what Proxmox sends: the API is untrusted input. Unknown fields are ignored, a missing
// required field is a clear error (thrown by the client as a ProxmoxError of kind 'server'), `vmid` and other
// numbers may arrive as strings, 0/1 flags become booleans.

import { z } from 'zod';
import type { GuestState, LxcConfig, LxcInterface, LxcStatus, LxcSummary, NodeInfo, NodeStorage, ProxmoxVersion, StorageTemplate, TaskLogLine, TaskStatus, VmSummary } from '$lib/shared/types/proxmox';
import { parseUpid } from './upid';

const numericString = z
	.string()
	.trim()
	.regex(/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i, 'expected a number')
	.transform(Number);
const num = z.union([z.number(), numericString]);
// The field rules that are exported are for cluster-resources.testkit.ts, the zod statement of the rules that
// the hand-written /cluster/resources check (cluster-resources.ts) is held to.

/** A metric Proxmox may leave out (e.g. for a stopped guest): 0 then. */
export const metric = z
	.union([num, z.null()])
	.optional()
	.transform((v) => v ?? 0);
const optNum = z
	.union([num, z.null()])
	.optional()
	.transform((v) => v ?? undefined);
export const vmid = z.union([z.number(), z.string().trim().regex(/^\d+$/, 'expected a numeric vmid').transform(Number)]).pipe(z.number().int().min(1));
export const flag = z
	.union([z.boolean(), z.literal(0), z.literal(1), z.literal('0'), z.literal('1'), z.null()])
	.optional()
	.transform((v) => v === true || v === 1 || v === '1');
export const optStr = z
	.union([z.string(), z.number(), z.null()])
	.optional()
	.transform((v) => (v === undefined || v === null || v === '' ? undefined : String(v)));
export const tags = z
	.union([z.string(), z.array(z.string()), z.null()])
	.optional()
	.transform((v) => {
		if (!v) return [];
		return (Array.isArray(v) ? v : v.split(/[;,\s]+/)).map((t) => t.trim()).filter(Boolean);
	});
export const guestState = z.string().transform((s): GuestState => (s === 'running' || s === 'stopped' ? s : 'unknown'));

export const versionSchema: z.ZodType<ProxmoxVersion> = z.object({
	version: z.string(),
	release: optStr,
	repoid: optStr
});

export const nodeSchema: z.ZodType<NodeInfo> = z
	.object({
		node: z.string().min(1),
		status: z.string().transform((s) => (s === 'online' || s === 'offline' ? s : 'unknown')),
		id: optStr,
		cpu: metric,
		maxcpu: metric,
		mem: metric,
		maxmem: metric,
		disk: metric,
		maxdisk: metric,
		uptime: metric,
		ssl_fingerprint: optStr
	})
	.transform(({ ssl_fingerprint, ...rest }) => ({ ...rest, sslFingerprint: ssl_fingerprint?.toUpperCase() }));

const guestFields = {
	vmid,
	status: guestState,
	name: optStr,
	cpus: metric,
	cpu: metric,
	mem: metric,
	maxmem: metric,
	disk: metric,
	maxdisk: metric,
	uptime: metric,
	netin: metric,
	netout: metric,
	diskread: metric,
	diskwrite: metric,
	tags,
	lock: optStr,
	template: flag,
	pid: optNum
};

export const lxcSummarySchema: z.ZodType<LxcSummary> = z.object({ ...guestFields, swap: metric, maxswap: metric }).transform((g) => ({ ...g, type: 'lxc' as const }));

export const vmSummarySchema: z.ZodType<VmSummary> = z.object(guestFields).transform((g) => ({ ...g, type: 'qemu' as const }));

export const lxcStatusSchema: z.ZodType<LxcStatus> = z
	.object({
		...guestFields,
		swap: metric,
		maxswap: metric,
		ha: z
			.object({ managed: flag, state: optStr })
			.nullable()
			.optional()
			.transform((v) => v ?? undefined)
	})
	.transform((g) => ({ ...g, type: 'lxc' as const }));

export const lxcConfigSchema: z.ZodType<LxcConfig> = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).transform((raw) => {
	const clean: Record<string, string | number> = {};
	for (const [k, v] of Object.entries(raw)) {
		if (v === null) continue;
		clean[k] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
	}
	const str = (k: string) => (clean[k] === undefined ? undefined : String(clean[k]));
	const int = (k: string) => {
		const v = clean[k];
		if (v === undefined) return undefined;
		const n = Number(v);
		return Number.isFinite(n) ? n : undefined;
	};
	const bool = (k: string) => (clean[k] === undefined ? undefined : String(clean[k]) === '1');
	return {
		hostname: str('hostname'),
		cores: int('cores'),
		memory: int('memory'),
		swap: int('swap'),
		rootfs: str('rootfs'),
		net0: str('net0'),
		features: str('features'),
		unprivileged: bool('unprivileged'),
		onboot: bool('onboot'),
		nameserver: str('nameserver'),
		searchdomain: str('searchdomain'),
		ostype: str('ostype'),
		arch: str('arch'),
		description: str('description'),
		tags:
			str('tags')
				?.split(/[;,\s]+/)
				.filter(Boolean) ?? [],
		lock: str('lock'),
		digest: str('digest'),
		raw: clean
	};
});

export const lxcInterfaceSchema: z.ZodType<LxcInterface> = z
	.object({
		name: z.string(),
		hwaddr: optStr,
		inet: optStr,
		inet6: optStr,
		'ip-addresses': z
			.array(
				z.object({
					'ip-address': z.string(),
					'ip-address-type': z.string().optional().default(''),
					prefix: optNum
				})
			)
			.nullable()
			.optional()
	})
	.transform((i) => ({
		name: i.name,
		hwaddr: i.hwaddr,
		inet: i.inet,
		inet6: i.inet6,
		ipAddresses: (i['ip-addresses'] ?? []).map((a) => ({
			address: a['ip-address'],
			type: a['ip-address-type'],
			prefix: a.prefix
		}))
	}));

export const nodeStorageSchema: z.ZodType<NodeStorage> = z
	.object({
		storage: z.string().min(1),
		type: z.string(),
		content: optStr,
		shared: flag,
		active: flag,
		total: metric,
		avail: metric
	})
	.transform((s) => ({ ...s, content: (s.content ?? '').split(',').filter(Boolean) }));

export const storageTemplateSchema = z
	.object({
		volid: z.string().min(1),
		content: z.string(),
		format: optStr,
		size: metric,
		ctime: optNum
	})
	.transform((c): StorageTemplate | null => (c.content === 'vztmpl' ? { ...c, content: 'vztmpl', name: c.volid.replace(/^[^:]*:(vztmpl\/)?/, '') } : null));

export const taskStatusSchema: z.ZodType<TaskStatus> = z
	.object({
		upid: z.string().min(1),
		status: z.enum(['running', 'stopped']),
		exitstatus: optStr,
		node: optStr,
		pid: optNum,
		pstart: optNum,
		starttime: optNum,
		type: optStr,
		id: optStr,
		user: optStr,
		tokenid: optStr
	})
	.transform((t) => {
		// Fields a server leaves out are recoverable from the UPID itself.
		const u = parseUpid(t.upid);
		return {
			upid: t.upid,
			node: t.node ?? u?.node ?? '',
			pid: t.pid ?? u?.pid ?? 0,
			pstart: t.pstart ?? u?.pstart ?? 0,
			starttime: t.starttime ?? u?.starttime ?? 0,
			type: t.type ?? u?.type ?? '',
			id: t.id ?? u?.id ?? '',
			user: t.user ?? u?.user ?? '',
			tokenid: t.tokenid,
			status: t.status,
			exitstatus: t.exitstatus
		};
	});

export const taskLogLineSchema: z.ZodType<TaskLogLine> = z.object({
	n: z.union([z.number(), numericString]).pipe(z.number().int()),
	t: z.union([z.string(), z.null()]).transform((t) => t ?? '')
});

export const nextIdSchema = z.union([z.number(), numericString]).pipe(z.number().int().min(100));

/** One CT snapshot as `GET …/snapshot` lists it. */
export interface LxcSnapshot {
	name: string;
	snaptime?: number;
	description?: string;
	parent?: string;
}

export const snapshotSchema: z.ZodType<LxcSnapshot> = z
	.object({
		name: z.string(),
		snaptime: z.coerce.number().optional(),
		description: z.string().optional(),
		parent: z.string().optional()
	})
	.loose() as z.ZodType<LxcSnapshot>;

/** A UPID string as returned by the task-starting POST/DELETE calls. */
export const upidSchema = z.string().refine((s) => parseUpid(s) !== null, 'expected a task id (UPID)');

/** Short, readable summary of a validation failure: `[0].vmid: expected a numeric vmid`. */
export function describeIssues(error: z.ZodError): string {
	return error.issues
		.slice(0, 3)
		.map((i) => {
			const path = i.path
				.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
				.join('')
				.replace(/^\./, '');
			return `${path || '(data)'}: ${i.message}`;
		})
		.join('; ');
}
