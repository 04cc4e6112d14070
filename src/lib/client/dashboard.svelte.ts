// The dashboard's live state: seeded from the page load, then changed in place by /api/events. The
// environments and their provision runs are the shared environments store's (one reducer for every page);
// this class adds the nodes they are charged to and the figures drawn from both.

import type { LiveEvent } from './live-events.svelte';
import { countByGroup, givenBack, nodeUsage, type EnvLite, type NodeBase, type ProvisionItem } from '$lib/shared/dashboard-model';
import { dashboardScope, EnvironmentsStore } from './stores/environments.svelte';

export interface DashboardSeed {
	envs: EnvLite[];
	nodes: NodeBase[];
	provisions: ProvisionItem[];
}

export class DashboardStore {
	readonly environments: EnvironmentsStore<EnvLite>;
	nodes = $state.raw<NodeBase[]>([]);

	envs = $derived.by(() => this.environments.rows);
	provisions = $derived.by(() => this.environments.provisions);
	counts = $derived(countByGroup(this.envs));
	givenBack = $derived(givenBack(this.envs));
	usage = $derived(nodeUsage(this.nodes, this.envs));
	empty = $derived(this.envs.length === 0);

	constructor(seed: DashboardSeed) {
		this.environments = new EnvironmentsStore(dashboardScope, { rows: seed.envs, provisions: seed.provisions });
		this.nodes = seed.nodes;
	}

	/** A fresh load (first, or after an invalidate) replaces what events built up. */
	seed(seed: DashboardSeed): void {
		this.environments.seed({ rows: seed.envs, provisions: seed.provisions });
		this.nodes = seed.nodes;
	}

	/** Apply one live event; returns whether the dashboard cared (the page then may refresh the rest). */
	apply(event: LiveEvent): boolean {
		return this.environments.apply(event);
	}
}
