// Node- and cluster-level answers: /version, /nodes (with load and memory), /nodes/{node}/qemu (the
// read-only VMs), /cluster/nextid and /cluster/resources (one row per node, storage, CT and VM).
import { loadavg, uptime as osUptime } from 'node:os';
import type { ApiDeps } from './api';
import { bool, node, optVmid, P } from './api-schemas';
import { paramError, type Route } from './http';
import { STORAGES } from './storage';
import { storageRow } from './storage-routes';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export function clusterRoutes(d: ApiDeps): Route[] {
	const nodeRow = (name: string): Record<string, unknown> => {
		const base = { node: name, status: 'online', type: 'node', id: `node/${name}`, ssl_fingerprint: d.fingerprint, level: '' };
		if (d.faults.offlineNodes.includes(name)) return { ...base, status: 'offline' };
		const cts = Object.values(d.store.state.cts).filter((c) => c.node === name);
		const rows = cts.map((c) => d.view.row(c));
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

	const clusterResources = (type?: string): Record<string, unknown>[] => {
		const out: Record<string, unknown>[] = [];
		if (!type || type === 'node')
			for (const n of d.nodes) {
				const r = nodeRow(n);
				out.push({
					id: r.id,
					type: 'node',
					node: n,
					status: r.status,
					cpu: r.cpu,
					maxcpu: r.maxcpu,
					mem: r.mem,
					maxmem: r.maxmem,
					disk: r.disk,
					maxdisk: r.maxdisk,
					uptime: r.uptime,
					level: '',
					'cgroup-mode': 2
				});
			}
		if (!type || type === 'storage')
			for (const n of d.nodes)
				for (const s of STORAGES) {
					const r = storageRow(d, s);
					out.push({
						id: `storage/${n}/${s.storage}`,
						type: 'storage',
						storage: s.storage,
						node: n,
						status: d.faults.offlineNodes.includes(n) ? 'unknown' : 'available',
						plugintype: s.type,
						content: r.content,
						disk: r.used,
						maxdisk: s.total,
						shared: s.shared
					});
				}
		if (!type || type === 'vm') {
			for (const c of Object.values(d.store.state.cts)) {
				const row = d.view.row(c);
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
		{ method: 'GET', path: '/nodes/{node}/qemu', schema: P({ node, full: bool }), handler: ({ params }) => ({ data: vmRows(n(params.node)) }) }
	];
}
