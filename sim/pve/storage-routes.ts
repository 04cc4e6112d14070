// The storage endpoints: /nodes/{node}/storage and /nodes/{node}/storage/{storage}/content (templates on
// `local`, the CTs' root disks on `local-lvm`).
import type { ApiDeps } from './api';
import { bool, node, optVmid, P, str } from './api-schemas';
import { ApiError, type Route } from './http';
import { STORAGES, storageByName, type StorageDef } from './storage';

const GiB = 1024 ** 3;

/** One storage as /nodes/{node}/storage and /cluster/resources show it (usage grows with the CTs). */
export function storageRow(d: Pick<ApiDeps, 'store'>, s: StorageDef): Record<string, unknown> {
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
}

export function storageRoutes(d: ApiDeps): Route[] {
	const n = (v: unknown) => String(v);
	const id = (v: unknown) => Number(v);

	return [
		{
			method: 'GET',
			path: '/nodes/{node}/storage',
			schema: P({ node, content: str, storage: str, enabled: bool, format: bool, target: str }),
			handler: ({ params }) => ({
				data: STORAGES.filter((s) => !params.content || s.content.includes(n(params.content)))
					.filter((s) => !params.storage || s.storage === params.storage)
					.map((s) => storageRow(d, s))
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
						.map((c) => ({ volid: `${s.storage}:vm-${c.vmid}-disk-0`, format: 'raw', content: 'rootdir', size: d.view.row(c).maxdisk, vmid: c.vmid, ctime: Math.floor(c.createdAt / 1000) }))
				};
			}
		}
	];
}
