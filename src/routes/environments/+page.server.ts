import * as environments from '$lib/server/environments';
import { listPage } from '$lib/server/environments/listing';
import { getConfig } from '$lib/server/env-config';
import { parseQuery } from '$lib/shared/environment-query';
import { BUSY_STATUSES } from '$lib/shared/types/environments';
import type { PageServerLoad } from './$types';

// One /cluster/resources call per load (nodes come from a shared 30 s cache); templates are fetched by
// the create form only when it opens. Search, filters and paging run here, so the page carries one page
// of rows however large the cluster is.
export const load: PageServerLoad = async ({ depends, url, setHeaders }) => {
	depends('app:environments');
	const query = parseQuery(url.searchParams);
	const timing = { proxmoxMs: 0, mergeMs: 0 };
	const inventory = await environments.loadInventory(timing);
	const t = performance.now();
	const listing = listPage(inventory, query);
	// Stage times for the benchmark (and a curious browser's devtools); no data in them.
	const dur = (n: number) => n.toFixed(1);
	setHeaders({ 'server-timing': `proxmox;dur=${dur(timing.proxmoxMs)}, merge;dur=${dur(timing.mergeMs)}, list;dur=${dur(performance.now() - t)}` });
	const runs: Record<string, ReturnType<typeof environments.latestRun>> = {};
	for (const env of listing.environments) {
		if (BUSY_STATUSES.includes(env.status) || env.status === 'error') runs[env.id] = environments.latestRun(env.id);
	}
	const d = getConfig().proxmox.defaults;
	return {
		listing,
		query,
		runs,
		defaults: { node: getConfig().proxmox.node, template: d.template ?? null, cores: d.cores, memory: d.memoryMb, disk: d.diskGb }
	};
};
