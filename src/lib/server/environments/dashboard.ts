// The dashboard's snapshot: environments (compact, for counts and node charges), nodes with capacity,
// running and recent provisions, recent activity and the signed-in user's last terminal. Proxmox is asked
// once per load (loadInventory's single /cluster/resources call; nodes come from its 30 s cache).

import * as audit from '../audit';
import { getDb, type Db } from '../db';
import * as jobs from '../jobs';
import { loadInventory } from './inventory';
import { liteOf, orderProvisions, RECENT_PROVISIONS, type ActivityItem, type EnvLite, type LastTerminal, type NodeBase, type ProvisionItem } from '$lib/shared/dashboard-model';
import type { GuestView, InventoryView } from '$lib/shared/types/environments';

export type { ActivityItem, LastTerminal };

export interface DashboardData {
	envs: EnvLite[];
	nodes: NodeBase[];
	/** CTs on the cluster Spyre does not manage (adoptable), and VMs. */
	unmanaged: number;
	vms: number;
	proxmoxError: string | null;
	provisions: ProvisionItem[];
	activity: ActivityItem[];
	lastTerminal: LastTerminal | null;
}

const ACTIVITY = 10;
const MB = 2 ** 20;
const GB = 2 ** 30;

/** Nodes with what unmanaged guests take of them. Pure. */
export function nodeBases(inv: Pick<InventoryView, 'nodes' | 'unmanaged' | 'vms'>): NodeBase[] {
	const others = new Map<string, GuestView[]>();
	for (const g of [...inv.unmanaged, ...inv.vms]) others.set(g.node, [...(others.get(g.node) ?? []), g]);
	return inv.nodes.map((n) => {
		const guests = others.get(n.node) ?? [];
		return {
			node: n.node,
			status: n.status,
			maxcpu: n.maxcpu,
			maxmem: n.maxmem,
			maxdisk: n.maxdisk,
			other: {
				guests: guests.length,
				cores: guests.reduce((a, g) => a + g.maxcpu, 0),
				memoryMb: Math.round(guests.reduce((a, g) => a + g.maxmem, 0) / MB),
				diskGb: Math.round(guests.reduce((a, g) => a + g.maxdisk, 0) / GB)
			}
		};
	});
}

/** Every running provision, plus the newest finished ones. */
export function recentProvisions(db: Db = getDb()): ProvisionItem[] {
	return orderProvisions(jobs.recentProvisionRuns(RECENT_PROVISIONS, db));
}

/** The newest audit rows, without the client IP or the free-text detail (a glance, not the audit log). */
/**
 * The newest audit rows. A target that is an environment's id (terminal attaches, Claude installs record
 * the id) is shown by its hostname and links to it; an environment since destroyed keeps its id.
 */
export function recentActivity(limit = ACTIVITY, db: Db = getDb()): ActivityItem[] {
	const hostnameOf = db.prepare('SELECT hostname FROM environments WHERE id = ?').pluck();
	return audit.recent(limit, db).map(({ id, ts, username, action, target, outcome }) => {
		const hostname = target !== null && target.startsWith('env-') ? (hostnameOf.get(target) as string | undefined) : undefined;
		return hostname === undefined ? { id, ts, username, action, target, outcome, environmentId: null } : { id, ts, username, action, target: hostname, outcome, environmentId: target };
	});
}

/** The environment this user last attached a terminal to, if it still exists. */
export function lastTerminal(userId: number, db: Db = getDb()): LastTerminal | null {
	const row = db
		.prepare(
			`SELECT a.target AS environmentId, e.hostname, a.ts FROM audit_log a JOIN environments e ON e.id = a.target
			 WHERE a.action = 'terminal.attach' AND a.outcome = 'success' AND a.user_id = ?
			 ORDER BY a.id DESC LIMIT 1`
		)
		.get(userId) as LastTerminal | undefined;
	return row ?? null;
}

export async function loadDashboard(userId: number | null): Promise<DashboardData> {
	const inv = await loadInventory();
	return {
		envs: inv.environments.map(liteOf),
		nodes: nodeBases(inv),
		unmanaged: inv.unmanaged.length,
		vms: inv.vms.length,
		proxmoxError: inv.proxmoxError,
		provisions: recentProvisions(),
		activity: recentActivity(),
		lastTerminal: userId === null ? null : lastTerminal(userId)
	};
}
