// The CT snapshot endpoints (pve-container API2/LXC/Snapshot.pm): paths and parameter schemas; the
// semantics are in snapshots.ts.
import { bool, node, P, str, vmid } from './api-schemas';
import type { Route } from './http';
import type { Prop } from './params';
import type { Snapshots } from './snapshots';

export function snapshotRoutes(snapshots: Snapshots): Route[] {
	const snapname: Prop = { type: 'string', maxLength: 40 };
	const base = '/nodes/{node}/lxc/{vmid}/snapshot';
	const args = (params: Record<string, unknown>) => [String(params.node), Number(params.vmid)] as const;
	return [
		{ method: 'GET', path: base, schema: P({ node, vmid }), handler: ({ params }) => ({ data: snapshots.list(...args(params)) }) },
		{
			method: 'POST',
			path: base,
			schema: P({ node, vmid, snapname, description: str }),
			handler: async ({ params }) => ({ data: await snapshots.create(...args(params), params) })
		},
		{
			method: 'GET',
			path: `${base}/{snapname}`,
			schema: P({ node, vmid, snapname }),
			handler: () => ({ data: [{ cmd: 'rollback' }, { cmd: 'config' }] })
		},
		{
			method: 'DELETE',
			path: `${base}/{snapname}`,
			schema: P({ node, vmid, snapname, force: bool }),
			handler: async ({ params }) => ({ data: await snapshots.remove(...args(params), String(params.snapname)) })
		},
		{
			method: 'POST',
			path: `${base}/{snapname}/rollback`,
			schema: P({ node, vmid, snapname, start: bool }),
			handler: async ({ params }) => ({ data: await snapshots.rollback(...args(params), String(params.snapname), params) })
		},
		{
			method: 'GET',
			path: `${base}/{snapname}/config`,
			schema: P({ node, vmid, snapname }),
			handler: ({ params }) => ({ data: snapshots.snapshotConfig(...args(params), String(params.snapname)) })
		},
		{
			method: 'PUT',
			path: `${base}/{snapname}/config`,
			schema: P({ node, vmid, snapname, description: { type: 'string', optional: true, maxLength: 8192 } }),
			handler: ({ params }) => {
				snapshots.setDescription(...args(params), String(params.snapname), String(params.description ?? ''));
				return { data: null };
			}
		}
	];
}
