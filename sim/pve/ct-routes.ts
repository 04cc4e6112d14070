// The CT endpoints under /nodes/{node}/lxc: list, create, status, config, /interfaces, start, stop,
// shutdown, destroy, clone, template, with their parameter schemas; the semantics are in the ct-*.ts modules.
import type { ApiDeps } from './api';
import { bool, cloneSchema, createSchema, int, node, P, str, vmid } from './api-schemas';
import { paramError, type Route } from './http';

export function ctRoutes(d: ApiDeps): Route[] {
	const n = (v: unknown) => String(v);
	const id = (v: unknown) => Number(v);

	return [
		{ method: 'GET', path: '/nodes/{node}/lxc', schema: P({ node }), handler: ({ params }) => ({ data: d.view.listOnNode(n(params.node)) }) },
		{
			method: 'POST',
			path: '/nodes/{node}/lxc',
			schema: createSchema,
			handler: async ({ params }) => ({ data: await d.create.create(n(params.node), params, d.tokenUser) })
		},
		{
			method: 'GET',
			path: '/nodes/{node}/lxc/{vmid}/status/current',
			schema: P({ node, vmid }),
			handler: ({ params }) => ({ data: { ...d.view.row(d.lxc.mustGet(n(params.node), id(params.vmid))), ha: { managed: 0 } } })
		},
		{
			method: 'GET',
			path: '/nodes/{node}/lxc/{vmid}/config',
			schema: P({ node, vmid, current: bool, snapshot: str }),
			handler: ({ params }) => ({ data: d.view.config(n(params.node), id(params.vmid)) })
		},
		{
			method: 'GET',
			path: '/nodes/{node}/lxc/{vmid}/interfaces',
			schema: P({ node, vmid }),
			handler: ({ params }) => ({ data: d.view.interfaces(n(params.node), id(params.vmid)) })
		},
		{
			method: 'POST',
			path: '/nodes/{node}/lxc/{vmid}/status/start',
			schema: P({ node, vmid, skiplock: bool, debug: bool }),
			handler: async ({ params }) => {
				if (Number(params.skiplock ?? 0) === 1) throw paramError({ skiplock: 'Only root may use this option.' });
				return { data: await d.power.start(n(params.node), id(params.vmid)) };
			}
		},
		{
			method: 'POST',
			path: '/nodes/{node}/lxc/{vmid}/status/stop',
			schema: P({ node, vmid, skiplock: bool, 'overrule-shutdown': bool }),
			handler: async ({ params }) => ({ data: await d.power.stop(n(params.node), id(params.vmid), params, d.tokenUser) })
		},
		{
			method: 'POST',
			path: '/nodes/{node}/lxc/{vmid}/status/shutdown',
			schema: P({ node, vmid, timeout: int(0), forceStop: bool }),
			handler: async ({ params }) => ({ data: await d.power.shutdown(n(params.node), id(params.vmid), params) })
		},
		{
			method: 'DELETE',
			path: '/nodes/{node}/lxc/{vmid}',
			schema: P({ node, vmid, purge: bool, 'destroy-unreferenced-disks': bool, force: bool }),
			handler: async ({ params }) => ({ data: await d.destroy.destroy(n(params.node), id(params.vmid), params) })
		},
		{
			method: 'POST',
			path: '/nodes/{node}/lxc/{vmid}/clone',
			schema: cloneSchema,
			handler: async ({ params }) => ({ data: await d.clone.clone(n(params.node), id(params.vmid), params) })
		},
		{
			method: 'POST',
			path: '/nodes/{node}/lxc/{vmid}/template',
			schema: P({ node, vmid }),
			handler: async ({ params }) => ({ data: await d.clone.template(n(params.node), id(params.vmid)) })
		}
	];
}
