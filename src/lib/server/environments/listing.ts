// One page of the environments list: the full inventory (from one /cluster/resources call) filtered,
// counted and sliced on the server, so a browser with 1,000 CTs receives and renders tens of rows, not all
// of them. Pure, so the rules are testable without a cluster.

import { BUSY_STATUSES, type EnvironmentView, type GuestView, type InventoryView } from '$lib/shared/types/environments';
import { countTotals, type EnvironmentTotals } from '$lib/shared/environment-totals';
import { GUESTS_SHOWN, PAGE_SIZE, TABLE_FROM, type EnvironmentQuery, type EnvironmentViewMode, type StatusFilter } from '$lib/shared/environment-query';

export interface EnvironmentListing {
	environments: EnvironmentView[];
	/** Managed environments matching the filters (all pages). */
	matched: number;
	page: number;
	pages: number;
	view: EnvironmentViewMode;
	/** Over every managed environment, unfiltered: what the page header says. */
	totals: EnvironmentTotals;
	unmanaged: GuestView[];
	unmanagedMatched: number;
	vms: GuestView[];
	vmsMatched: number;
	nodes: InventoryView['nodes'];
	proxmoxError: string | null;
	fetchedAt: number;
}

function statusMatches(env: EnvironmentView, status: StatusFilter): boolean {
	if (status === 'busy') return BUSY_STATUSES.includes(env.status);
	if (status === 'problem') return env.status === 'error' || env.status === 'missing' || env.status === 'unknown';
	return env.status === status;
}

function guestStatusMatches(g: GuestView, status: StatusFilter): boolean {
	if (status === 'busy') return g.lock !== null;
	if (status === 'problem') return g.status === 'unknown';
	return g.status === status;
}

function textMatches(needle: string, ...fields: Array<string | number | null>): boolean {
	if (!needle) return true;
	for (const f of fields) if (f !== null && String(f).toLowerCase().includes(needle)) return true;
	return false;
}

export function listPage(inventory: InventoryView, query: EnvironmentQuery): EnvironmentListing {
	const needle = query.q.toLowerCase();
	const all = inventory.environments;
	const matching = all.filter((e) => (!query.node || e.node === query.node) && (!query.status || statusMatches(e, query.status)) && textMatches(needle, e.hostname, e.vmid, e.ip, e.node));
	const view = query.view ?? (all.length > TABLE_FROM ? 'table' : 'cards');
	const size = PAGE_SIZE[view];
	const pages = Math.max(1, Math.ceil(matching.length / size));
	const page = Math.min(query.page, pages);
	const guestFilter = (g: GuestView) => (!query.node || g.node === query.node) && (!query.status || guestStatusMatches(g, query.status)) && textMatches(needle, g.name, g.vmid, g.node);
	const unmanaged = inventory.unmanaged.filter(guestFilter);
	const vms = inventory.vms.filter(guestFilter);
	return {
		environments: matching.slice((page - 1) * size, page * size),
		matched: matching.length,
		page,
		pages,
		view,
		totals: countTotals(all),
		unmanaged: unmanaged.slice(0, GUESTS_SHOWN),
		unmanagedMatched: unmanaged.length,
		vms: vms.slice(0, GUESTS_SHOWN),
		vmsMatched: vms.length,
		nodes: inventory.nodes,
		proxmoxError: inventory.proxmoxError,
		fetchedAt: inventory.fetchedAt
	};
}
