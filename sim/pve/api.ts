// The endpoint table: every path the simulator answers, gathered from the route modules by job
// (cluster-routes.ts, ct-routes.ts, snapshot-routes.ts, storage-routes.ts, task-routes.ts), plus the
// proxy step that every /nodes/{node}/... call passes first. Schemas are in api-schemas.ts.
import { clusterRoutes } from './cluster-routes';
import type { Faults } from './control';
import type { CtClone } from './ct-clone';
import type { CtCreate } from './ct-create';
import type { CtDestroy } from './ct-destroy';
import type { CtPower } from './ct-power';
import { ctRoutes } from './ct-routes';
import type { CtView } from './ct-view';
import { ApiError, type Route } from './http';
import type { Lxc } from './lxc';
import { formats } from './params';
import { snapshotRoutes } from './snapshot-routes';
import type { Snapshots } from './snapshots';
import type { StateStore } from './state';
import { storageRoutes } from './storage-routes';
import type { Tasks } from './tasks';
import { taskRoutes } from './task-routes';

export interface ApiDeps {
	store: StateStore;
	lxc: Lxc;
	view: CtView;
	create: CtCreate;
	power: CtPower;
	destroy: CtDestroy;
	clone: CtClone;
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

export function routes(d: ApiDeps): Route[] {
	return [...clusterRoutes(d), ...ctRoutes(d), ...snapshotRoutes(d.snapshots), ...storageRoutes(d), ...taskRoutes(d)];
}

/**
 * The proxy step of pveproxy, before any parameter check: a call for another node goes to that node,
 * so an unknown node fails the hostname lookup and an offline one times out (595).
 */
export function checkNode(d: Pick<ApiDeps, 'nodes' | 'faults'>, pathParams: Record<string, string>): void {
	const name = pathParams.node;
	if (name === undefined || formats.node(name) !== null) return;
	if (!d.nodes.includes(name)) throw new ApiError(500, `hostname lookup '${name}' failed - failed to get address info for: ${name}: Name or service not known`);
	if (d.faults.offlineNodes.includes(name)) throw new ApiError(595, 'Connection timed out');
}
