// The endpoint table: every path of PROXMOX-API.md with its parameter schema and handler. Owns the
// node-, cluster-, storage- and task-level answers; CT semantics are delegated to lxc.ts.
import { loadavg, uptime as osUptime } from 'node:os';
import type { Faults } from './control';
import { ApiError, paramError, type Route } from './http';
import type { Lxc } from './lxc';
import { snapshotRoutes } from './snapshot-routes';
import type { Snapshots } from './snapshots';
import { featuresFormat, formats, netFormat, propertyString, rootfsFormat, type Prop, type Schema } from './params';
import type { StateStore, TaskRecord } from './state';
import { STORAGES, storageByName } from './storage';
import type { Tasks } from './tasks';
import { parseUpid, splitTokenUser } from './upid';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export interface ApiDeps {
	store: StateStore;
	lxc: Lxc;
	snapshots: Snapshots;
	tasks: Tasks;
	faults: Faults;
	nodes: string[];
	fingerprint: string;
	tokenUser: string;
	startedAt: number;
	maxcpu: number;
	maxmem: number;
	maxdisk: number;
}

const node: Prop = { type: 'string', format: formats.node };
const vmid: Prop = { type: 'integer', minimum: 100, maximum: 999_999_999 };
const optVmid: Prop = { ...vmid, optional: true };
const bool: Prop = { type: 'boolean', optional: true };
const str: Prop = { type: 'string', optional: true };
const int = (minimum?: number, maximum?: number): Prop => ({ type: 'integer', optional: true, minimum, maximum });

const createSchema: Schema = {
	properties: {
		node,
		vmid,
		ostemplate: { type: 'string', maxLength: 255 },
		hostname: { type: 'string', optional: true, maxLength: 255, format: formats.dnsName },
		cores: int(1, 8192),
		memory: int(16),
		swap: int(0),
		rootfs: propertyString(rootfsFormat),
		storage: { type: 'string', optional: true, format: (v) => (/^[a-zA-Z][a-zA-Z0-9\-_.]*[a-zA-Z0-9]$/.test(v) ? null : 'invalid storage ID') },
		features: propertyString(featuresFormat),
		unprivileged: bool,
		password: { type: 'string', optional: true, minLength: 5 },
		'ssh-public-keys': str,
		start: bool,
		onboot: bool,
		nameserver: str,
		searchdomain: str,
		tags: { type: 'string', optional: true, format: formats.tagList },
		description: { type: 'string', optional: true, maxLength: 8192 },
		pool: str,
		arch: { type: 'string', optional: true, enum: ['amd64', 'i386', 'arm64', 'armhf', 'riscv32', 'riscv64'] },
		ostype: { type: 'string', optional: true, enum: ['debian', 'devuan', 'ubuntu', 'centos', 'fedora', 'opensuse', 'archlinux', 'alpine', 'gentoo', 'nixos', 'unmanaged'] },
		cpulimit: { type: 'number', optional: true, minimum: 0, maximum: 8192 },
		cpuunits: int(0, 500000),
		console: bool,
		tty: int(0, 6),
		cmode: { type: 'string', optional: true, enum: ['shell', 'console', 'tty'] },
		protection: bool,
		template: bool,
		force: bool,
		unique: bool,
		restore: bool,
		'ignore-unpack-errors': bool,
		startup: str,
		timezone: str,
		bwlimit: { type: 'number', optional: true, minimum: 0 },
		debug: bool
	},
	patterns: [{ re: /^net\d$/, prop: propertyString(netFormat) }]
};

export function routes(d: ApiDeps): Route[] {
	const nodeRow = (name: string): Record<string, unknown> => {
		const base = { node: name, status: 'online', type: 'node', id: `node/${name}`, ssl_fingerprint: d.fingerprint, level: '' };
		if (d.faults.offlineNodes.includes(name)) return { ...base, status: 'offline' };
		const cts = Object.values(d.store.state.cts).filter((c) => c.node === name);
		const rows = cts.map((c) => d.lxc.row(c));
		const mem = 3.2 * GiB + rows.reduce((s, r) => s + Number(r.mem), 0);
		return {
			...base,
			cpu: Math.min(1, loadavg()[0] / d.maxcpu),
			maxcpu: d.maxcpu,
			mem: Math.round(mem),
			maxmem: d.maxmem,
			disk: 11 * GiB + rows.reduce((s, r) => s + Number(r.disk), 0),
			maxdisk: d.maxdisk,
			uptime: Math.floor(osUptime())
		};
	};

	const vmRows = (name: string): Record<string, unknown>[] =>
		Object.values(d.store.state.vms)
			.filter((v) => v.node === name)
			.map((v) => ({
				vmid: v.vmid,
				name: v.name,
				status: 'stopped',
				cpus: v.cores,
				maxmem: v.memoryMiB * MiB,
				mem: 0,
				maxdisk: v.diskGiB * GiB,
				disk: 0,
				uptime: 0,
				cpu: 0,
				netin: 0,
				netout: 0,
				diskread: 0,
				diskwrite: 0
			}));

	const storageRow = (s: (typeof STORAGES)[number]) => {
		const used = s.storage === 'local' ? 9.5 * GiB : Object.values(d.store.state.cts).length * 1.1 * GiB;
		return {
			storage: s.storage,
			type: s.type,
			content: s.content.join(','),
			active: 1,
			enabled: 1,
			shared: s.shared,
			total: s.total,
			used: Math.round(used),
			avail: Math.round(s.total - used),
			used_fraction: used / s.total
		};
	};

	const clusterResources = (type?: string): Record<string, unknown>[] => {
		const out: Record<string, unknown>[] = [];
		if (!type || type === 'node')
			for (const n of d.nodes) {
				const r = nodeRow(n);
				out.push({ id: r.id, type: 'node', node: n, status: r.status, cpu: r.cpu, maxcpu: r.maxcpu, mem: r.mem, maxmem: r.maxmem, disk: r.disk, maxdisk: r.maxdisk, uptime: r.uptime, level: '', 'cgroup-mode': 2 });
			}
		if (!type || type === 'storage')
			for (const n of d.nodes)
				for (const s of STORAGES) {
					const r = storageRow(s);
					out.push({ id: `storage/${n}/${s.storage}`, type: 'storage', storage: s.storage, node: n, status: d.faults.offlineNodes.includes(n) ? 'unknown' : 'available', plugintype: s.type, content: r.content, disk: r.used, maxdisk: s.total, shared: s.shared });
				}
		if (!type || type === 'vm') {
			for (const c of Object.values(d.store.state.cts)) {
				const row = d.lxc.row(c);
				const offline = d.faults.offlineNodes.includes(c.node);
				const fresh = Date.now() - c.createdAt < 1000;
				out.push({
					id: `lxc/${c.vmid}`,
					type: 'lxc',
					vmid: c.vmid,
					node: c.node,
					status: offline || fresh ? 'unknown' : row.status,
					name: row.name,
					maxcpu: row.cpus,
					cpu: row.cpu,
					maxmem: row.maxmem,
					mem: row.mem,
					maxdisk: row.maxdisk,
					disk: row.disk,
					uptime: row.uptime,
					netin: row.netin,
					netout: row.netout,
					diskread: row.diskread,
					diskwrite: row.diskwrite,
					template: row.template ?? 0,
					...(row.tags ? { tags: row.tags } : {}),
					...(row.lock ? { lock: row.lock } : {})
				});
			}
			for (const n of d.nodes)
				for (const v of vmRows(n))
					out.push({ id: `qemu/${v.vmid}`, type: 'qemu', node: n, ...v, status: d.faults.offlineNodes.includes(n) ? 'unknown' : 'stopped', maxcpu: v.cpus, template: 0, cpus: undefined });
		}
		return out;
	};

	const taskStatus = (t: TaskRecord) => {
		const { user, tokenid } = splitTokenUser(t.user);
		return {
			upid: t.upid,
			node: t.node,
			pid: t.pid,
			pstart: t.pstart,
			starttime: t.starttime,
			type: t.type,
			id: t.id,
			user,
			...(tokenid ? { tokenid } : {}),
			status: t.status,
			...(t.status === 'stopped' ? { exitstatus: t.exitstatus } : {})
		};
	};

	const findTask = (upid: string): TaskRecord => {
		if (!parseUpid(upid)) throw new ApiError(500, `unable to parse worker upid '${upid}'`);
		const t = d.tasks.get(upid);
		if (!t) throw paramError({ upid: 'no such task' });
		return t;
	};

	const P = (properties: Record<string, Prop>): Schema => ({ properties });
	const n = (v: unknown) => String(v);
	const id = (v: unknown) => Number(v);

	return [
		{ method: 'GET', path: '/version', schema: P({}), handler: () => ({ data: { version: '8.4.1', release: '8.4', repoid: '2a5fa54a8503f96d' } }) },
		{ method: 'GET', path: '/nodes', schema: P({}), handler: () => ({ data: d.nodes.map(nodeRow) }) },
		{
			method: 'GET',
			path: '/cluster/nextid',
			schema: P({ vmid: optVmid }),
			handler: ({ params }) => {
				if (params.vmid !== undefined) {
					if (d.store.vmidTaken(id(params.vmid))) throw paramError({ vmid: `VM ${params.vmid} already exists` });
					return { data: String(params.vmid) };
				}
				return { data: String(d.store.nextFreeVmid()) };
			}
		},
		{
			method: 'GET',
			path: '/cluster/resources',
			schema: P({ type: { type: 'string', optional: true, enum: ['vm', 'storage', 'node', 'sdn'] } }),
			handler: ({ params }) => ({ data: params.type === 'sdn' ? [] : clusterResources(params.type as string | undefined) })
		},
		{ method: 'GET', path: '/nodes/{node}/lxc', schema: P({ node }), handler: ({ params }) => ({ data: d.lxc.listOnNode(n(params.node)) }) },
		{ method: 'GET', path: '/nodes/{node}/qemu', schema: P({ node, full: bool }), handler: ({ params }) => ({ data: vmRows(n(params.node)) }) },
		{
			method: 'POST',
			path: '/nodes/{node}/lxc',
			schema: createSchema,
			handler: async ({ params }) => ({ data: await d.lxc.create(n(params.node), params, d.tokenUser) })
		},
		{
			method: 'GET',
			path: '/nodes/{node}/lxc/{vmid}/status/current',
			schema: P({ node, vmid }),
			handler: ({ params }) => ({ data: { ...d.lxc.row(d.lxc.mustGet(n(params.node), id(params.vmid))), ha: { managed: 0 } } })
		},
		{
			method: 'GET',
			path: '/nodes/{node}/lxc/{vmid}/config',
			schema: P({ node, vmid, current: bool, snapshot: str }),
			handler: ({ params }) => ({ data: d.lxc.config(n(params.node), id(params.vmid)) })
		},
		{
			method: 'GET',
			path: '/nodes/{node}/lxc/{vmid}/interfaces',
			schema: P({ node, vmid }),
			handler: ({ params }) => ({ data: d.lxc.interfaces(n(params.node), id(params.vmid)) })
		},
		{
			method: 'POST',
			path: '/nodes/{node}/lxc/{vmid}/status/start',
			schema: P({ node, vmid, skiplock: bool, debug: bool }),
			handler: async ({ params }) => {
				if (Number(params.skiplock ?? 0) === 1) throw paramError({ skiplock: 'Only root may use this option.' });
				return { data: await d.lxc.start(n(params.node), id(params.vmid)) };
			}
		},
		{
			method: 'POST',
			path: '/nodes/{node}/lxc/{vmid}/status/stop',
			schema: P({ node, vmid, skiplock: bool, 'overrule-shutdown': bool }),
			handler: async ({ params }) => ({ data: await d.lxc.stop(n(params.node), id(params.vmid), params, d.tokenUser) })
		},
		{
			method: 'POST',
			path: '/nodes/{node}/lxc/{vmid}/status/shutdown',
			schema: P({ node, vmid, timeout: int(0), forceStop: bool }),
			handler: async ({ params }) => ({ data: await d.lxc.shutdown(n(params.node), id(params.vmid), params) })
		},
		{
			method: 'DELETE',
			path: '/nodes/{node}/lxc/{vmid}',
			schema: P({ node, vmid, purge: bool, 'destroy-unreferenced-disks': bool, force: bool }),
			handler: async ({ params }) => ({ data: await d.lxc.destroy(n(params.node), id(params.vmid), params) })
		},
		...snapshotRoutes(d.snapshots),
		{
			method: 'GET',
			path: '/nodes/{node}/storage',
			schema: P({ node, content: str, storage: str, enabled: bool, format: bool, target: str }),
			handler: ({ params }) => ({
				data: STORAGES.filter((s) => !params.content || s.content.includes(n(params.content)))
					.filter((s) => !params.storage || s.storage === params.storage)
					.map(storageRow)
			})
		},
		{
			method: 'GET',
			path: '/nodes/{node}/storage/{storage}/content',
			schema: P({ node, storage: { type: 'string' }, content: str, vmid: optVmid }),
			handler: ({ params }) => {
				const s = storageByName(n(params.storage));
				if (!s) throw new ApiError(500, `storage '${params.storage}' does not exist`);
				const content = params.content === undefined ? undefined : n(params.content);
				if (content !== undefined && !s.content.includes(content)) return { data: [] };
				if (s.storage === 'local') {
					if (content && content !== 'vztmpl') return { data: [] };
					return { data: d.lxc.templates().map((t) => ({ volid: t.volid, format: t.format, content: 'vztmpl', size: t.size, ctime: t.ctime })) };
				}
				if (content === 'images') return { data: [] };
				return {
					data: Object.values(d.store.state.cts)
						.filter((c) => c.node === params.node && String(c.conf.rootfs ?? '').startsWith(`${s.storage}:`))
						.filter((c) => params.vmid === undefined || c.vmid === id(params.vmid))
						.map((c) => ({ volid: `${s.storage}:vm-${c.vmid}-disk-0`, format: 'raw', content: 'rootdir', size: d.lxc.row(c).maxdisk, vmid: c.vmid, ctime: Math.floor(c.createdAt / 1000) }))
				};
			}
		},
		{
			method: 'GET',
			path: '/nodes/{node}/tasks',
			schema: P({
				node,
				start: int(0),
				limit: int(0),
				vmid: optVmid,
				typefilter: str,
				userfilter: str,
				statusfilter: str,
				source: { type: 'string', optional: true, enum: ['archive', 'active', 'all'] },
				errors: bool,
				since: int(0),
				until: int(0)
			}),
			handler: ({ params }) => {
				const start = Number(params.start ?? 0);
				const limit = Number(params.limit ?? 50);
				const list = d.tasks
					.list()
					.filter((t) => t.node === params.node)
					.filter((t) => params.source !== 'active' || t.status === 'running')
					.filter((t) => params.vmid === undefined || t.id === String(params.vmid))
					.filter((t) => !params.typefilter || t.type === params.typefilter)
					.filter((t) => !params.userfilter || t.user.includes(n(params.userfilter)))
					.filter((t) => Number(params.errors ?? 0) !== 1 || (t.status === 'stopped' && t.exitstatus !== 'OK'))
					.filter((t) => params.since === undefined || t.starttime >= Number(params.since))
					.filter((t) => params.until === undefined || t.starttime <= Number(params.until))
					.slice()
					.reverse();
				const page = list.slice(start, start + limit).map((t) => {
					const { exitstatus, ...rest } = taskStatus(t);
					return { ...rest, ...(t.endtime ? { endtime: t.endtime } : {}), ...(exitstatus ? { status: exitstatus } : { status: undefined }) };
				});
				return { data: page, extra: { total: list.length } };
			}
		},
		{
			method: 'GET',
			path: '/nodes/{node}/tasks/{upid}/status',
			schema: P({ node, upid: { type: 'string', maxLength: 256 } }),
			handler: ({ params }) => ({ data: taskStatus(findTask(n(params.upid))) })
		},
		{
			method: 'GET',
			path: '/nodes/{node}/tasks/{upid}/log',
			schema: P({ node, upid: { type: 'string', maxLength: 256 }, start: int(0), limit: int(0), download: bool }),
			handler: ({ params }) => {
				const t = findTask(n(params.upid));
				const start = Number(params.start ?? 0);
				const limit = params.limit === undefined ? 50 : Number(params.limit) || t.log.length;
				const lines = t.log.slice(start, start + limit).map((line, i) => ({ n: start + i + 1, t: line }));
				return { data: lines, extra: { total: t.log.length } };
			}
		}
	];
}

/**
 * The proxy step of pveproxy, before any parameter check: a call for another node goes to that node,
 * so an unknown node fails the hostname lookup and an offline one times out (595).
 */
export function checkNode(d: Pick<ApiDeps, 'nodes' | 'faults'>, pathParams: Record<string, string>): void {
	const name = pathParams.node;
	if (name === undefined || formats.node(name) !== null) return;
	if (!d.nodes.includes(name))
		throw new ApiError(500, `hostname lookup '${name}' failed - failed to get address info for: ${name}: Name or service not known`);
	if (d.faults.offlineNodes.includes(name)) throw new ApiError(595, 'Connection timed out');
}
