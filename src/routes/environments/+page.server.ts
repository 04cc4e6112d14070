import * as environments from '$lib/server/environments';
import { getConfig } from '$lib/server/env-config';
import { BUSY_STATUSES } from '$lib/types/environments';
import type { PageServerLoad } from './$types';

// One /cluster/resources call per load (nodes come from a shared 30 s cache); templates are fetched by
// the create form only when it opens.
export const load: PageServerLoad = async ({ depends }) => {
	depends('app:environments');
	const inventory = await environments.loadInventory();
	const runs: Record<string, ReturnType<typeof environments.latestRun>> = {};
	for (const env of inventory.environments) {
		if (BUSY_STATUSES.includes(env.status) || env.status === 'error') runs[env.id] = environments.latestRun(env.id);
	}
	const d = getConfig().proxmox.defaults;
	return {
		inventory,
		runs,
		defaults: { node: getConfig().proxmox.node, template: d.template ?? null, cores: d.cores, memory: d.memoryMb, disk: d.diskGb }
	};
};
