// What the status poller learns from one /cluster/resources answer, as pure functions: which rows' status
// or node moved outside Spyre, and whether the cluster's guest list changed at all. Pure and allocation-light
// on purpose: it runs on every poll over every row and every guest, and in a quiet cluster finds nothing.

import { BUSY_STATUSES } from '$lib/shared/types/environments';
import type { ClusterResource } from '$lib/shared/types/proxmox';
import type { EnvironmentRow } from './repo';

export interface StatusChange {
	id: string;
	status: EnvironmentRow['status'];
	node: string;
}

/** The CTs of an answer by vmid (VMs are never environments). */
export function containersByVmid(resources: readonly ClusterResource[]): Map<number, ClusterResource> {
	const byVmid = new Map<number, ClusterResource>();
	for (const r of resources) if (r.type === 'lxc') byVmid.set(r.vmid, r);
	return byVmid;
}

/**
 * Rows whose status or node differ from Proxmox. Rows a job holds (`busy`) or in a transitional status are
 * the job's to settle; a failed row keeps 'error' (the person must look at it) but still follows its CT's
 * node; a row whose CT is gone becomes 'missing'.
 */
export function statusChanges(rows: readonly EnvironmentRow[], containers: ReadonlyMap<number, ClusterResource>, busy: (id: string) => boolean): StatusChange[] {
	const changes: StatusChange[] = [];
	for (const row of rows) {
		if (row.vmid === null || BUSY_STATUSES.includes(row.status) || busy(row.id)) continue;
		const live = containers.get(row.vmid);
		let next = row.status;
		if (!live) next = row.status === 'error' ? 'error' : 'missing';
		else if (row.status !== 'error' && (live.status === 'running' || live.status === 'stopped')) next = live.status;
		const node = live?.node ?? row.node;
		if (next !== row.status || node !== row.node) changes.push({ id: row.id, status: next, node });
	}
	return changes;
}

/** The fields whose change means open lists should reload (not metrics: they move on every poll). */
function sameGuest(a: ClusterResource, b: ClusterResource): boolean {
	return a.vmid === b.vmid && a.type === b.type && a.node === b.node && a.status === b.status && a.name === b.name && a.lock === b.lock;
}

function key(r: ClusterResource): string {
	return `${r.type}/${r.vmid}@${r.node}:${r.status}:${r.name ?? ''}:${r.lock ?? ''}`;
}

/**
 * Whether two answers list the same guests in the same states, whatever their order. Proxmox answers in
 * a stable order, so the pairwise pass decides almost every poll without building a string; only when it
 * finds a difference are both answers compared as sorted keys (a reordering alone is no change).
 */
export function sameGuests(prev: readonly ClusterResource[], next: readonly ClusterResource[]): boolean {
	if (prev.length !== next.length) return false;
	let i = 0;
	while (i < next.length && sameGuest(prev[i], next[i])) i++;
	if (i === next.length) return true;
	const a = prev.slice(i).map(key).sort();
	const b = next.slice(i).map(key).sort();
	return a.every((k, j) => k === b[j]);
}
