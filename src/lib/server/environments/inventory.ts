// The environments list: Spyre's rows merged with Proxmox's live state from ONE /cluster/resources call.
// Managed CTs, unmanaged CTs (adoptable), rows whose CT vanished (missing), and VMs (read-only). Node
// status and capacity come from a /nodes snapshot refreshed at most every 30 s and shared by everyone.

import { getProxmox } from '../proxmox';
import { getConfig } from '../env-config';
import { messageOf } from '../errors';
import { singleton } from '../singleton';
import { allRows } from './rows-cache';
import type { EnvironmentRow } from './repo';
import { toView } from './view';
import type { EnvironmentView, GuestView, InventoryView, NodeView } from '$lib/shared/types/environments';
import type { ClusterResource } from '$lib/shared/types/proxmox';

const NODES_TTL_MS = 30_000;

const nodeCache = singleton('inventory.nodes', () => ({ nodes: [] as NodeView[], at: 0, inflight: null as Promise<NodeView[]> | null }));

/** Cluster nodes with status and capacity; cached for 30 s. On failure returns the last known list. */
export async function getNodes(force = false): Promise<NodeView[]> {
	if (!force && Date.now() - nodeCache.at < NODES_TTL_MS) return nodeCache.nodes;
	nodeCache.inflight ??= getProxmox()
		.listNodes()
		.then((nodes) => {
			nodeCache.nodes = nodes.map((n) => ({ node: n.node, status: n.status, maxcpu: n.maxcpu, maxmem: n.maxmem, maxdisk: n.maxdisk })).sort((a, b) => a.node.localeCompare(b.node));
			nodeCache.at = Date.now();
			return nodeCache.nodes;
		})
		.finally(() => {
			nodeCache.inflight = null;
		});
	return nodeCache.inflight;
}

export function cachedNodes(): NodeView[] {
	return nodeCache.nodes;
}

function guestView(r: ClusterResource): GuestView {
	return {
		type: r.type,
		vmid: r.vmid,
		node: r.node,
		name: r.name ?? null,
		status: r.status,
		maxcpu: r.maxcpu,
		maxmem: r.maxmem,
		maxdisk: r.maxdisk,
		uptime: r.uptime,
		lock: r.lock ?? null,
		template: r.template
	};
}

/** Merge rows with resources. Pure, so the rules are testable without a cluster. */
export function mergeInventory(rows: readonly EnvironmentRow[], resources: ClusterResource[] | null, nodes: NodeView[], proxmoxError: string | null): InventoryView {
	const byVmid = new Map<number, ClusterResource>();
	for (const r of resources ?? []) byVmid.set(r.vmid, r);
	const managed = new Set<number>();
	const environments = rows.map((row) => {
		const live = row.vmid !== null ? byVmid.get(row.vmid) : undefined;
		if (live && live.type === 'lxc') managed.add(live.vmid);
		return toView(row, live?.type === 'lxc' ? live : undefined, resources !== null);
	});
	const unmanaged: GuestView[] = [];
	const vms: GuestView[] = [];
	for (const r of resources ?? []) {
		if (r.type === 'qemu') vms.push(guestView(r));
		else if (!managed.has(r.vmid) && !r.template) unmanaged.push(guestView(r));
	}
	unmanaged.sort((a, b) => a.vmid - b.vmid);
	vms.sort((a, b) => a.vmid - b.vmid);
	return { environments, unmanaged, vms, nodes, proxmoxError, fetchedAt: Date.now() };
}

/** Where a load's time went, in ms (the page reports it as a Server-Timing header for the benchmark). */
export interface InventoryTiming {
	proxmoxMs: number;
	mergeMs: number;
}

/** The full list for the page and GET /api/environments: one /cluster/resources call. */
export async function loadInventory(timing?: InventoryTiming): Promise<InventoryView> {
	let resources: ClusterResource[] | null = null;
	let proxmoxError: string | null = null;
	const t0 = performance.now();
	const [res, nodes] = await Promise.allSettled([getProxmox().clusterResources(), getNodes()]);
	const t1 = performance.now();
	const rows = allRows();
	if (res.status === 'fulfilled') resources = res.value;
	else proxmoxError = messageOf(res.reason);
	const nodeList = nodes.status === 'fulfilled' ? nodes.value : cachedNodes();
	if (nodeList.length === 0 && proxmoxError === null && nodes.status === 'rejected') proxmoxError = messageOf(nodes.reason);
	// With no node list at all, still offer the configured node (as unknown) so the page can render.
	const fallback: NodeView[] = [{ node: getConfig().proxmox.node, status: 'unknown', maxcpu: 0, maxmem: 0, maxdisk: 0 }];
	const merged = mergeInventory(rows, resources, nodeList.length ? nodeList : fallback, proxmoxError);
	if (timing) {
		timing.proxmoxMs = t1 - t0;
		timing.mergeMs = performance.now() - t1;
	}
	return merged;
}

/** One environment merged with live state, from one /cluster/resources call. */
export async function loadEnvironmentView(row: EnvironmentRow): Promise<EnvironmentView> {
	try {
		const resources = await getProxmox().clusterResources();
		const live = resources.find((r) => r.vmid === row.vmid && r.type === 'lxc');
		return toView(row, live, true);
	} catch {
		return toView(row, undefined, false);
	}
}
