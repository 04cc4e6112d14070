// The dashboard's live state: seeded from the page load, then changed in place by /api/events. The rules
// live in dashboard-model.ts (pure); this class only holds the runes and routes each event to its rule.

import type { LiveEvent } from './live-events.svelte';
import {
	applyRunEnd,
	applyRunLog,
	countByGroup,
	nodeUsage,
	removeEnv,
	removeEnvRuns,
	upsertEnv,
	type EnvLite,
	type NodeBase,
	type ProvisionItem,
	type RunEndData,
	type RunLogData
} from './dashboard-model';
import type { ClaudeAuthState } from '$lib/types/claude-auth';
import type { EnvironmentView } from '$lib/types/environments';

export interface DashboardSeed {
	envs: EnvLite[];
	nodes: NodeBase[];
	provisions: ProvisionItem[];
	claude: { state: ClaudeAuthState; expiresAt: number | null };
}

export class DashboardStore {
	envs = $state<EnvLite[]>([]);
	nodes = $state<NodeBase[]>([]);
	provisions = $state<ProvisionItem[]>([]);
	claudeState = $state<ClaudeAuthState>('idle');
	claudeExpiresAt = $state<number | null>(null);

	counts = $derived(countByGroup(this.envs));
	usage = $derived(nodeUsage(this.nodes, this.envs));
	empty = $derived(this.envs.length === 0);

	constructor(seed: DashboardSeed) {
		this.seed(seed);
	}

	/** A fresh load (first, or after an invalidate) replaces what events built up. */
	seed(seed: DashboardSeed): void {
		this.envs = seed.envs;
		this.nodes = seed.nodes;
		this.provisions = seed.provisions;
		this.claudeState = seed.claude.state;
		this.claudeExpiresAt = seed.claude.expiresAt;
	}

	/** Apply one live event; returns whether the dashboard cared (the page then may refresh the rest). */
	apply(event: LiveEvent): boolean {
		switch (event.type) {
			case 'env.updated':
				this.envs = upsertEnv(this.envs, (event.data as { environment: EnvironmentView }).environment);
				return true;
			case 'env.removed': {
				const { id } = event.data as { id: string };
				this.envs = removeEnv(this.envs, id);
				this.provisions = removeEnvRuns(this.provisions, id);
				return true;
			}
			case 'env.log':
				this.provisions = applyRunLog(this.provisions, event.data as RunLogData, (id) => this.envs.find((e) => e.id === id)?.hostname ?? null);
				return true;
			case 'env.run':
				this.provisions = applyRunEnd(this.provisions, event.data as RunEndData, event.ts);
				return true;
			case 'claude.auth': {
				const d = event.data as { state: ClaudeAuthState; expiresAt: number | null };
				this.claudeState = d.state;
				this.claudeExpiresAt = d.expiresAt;
				return true;
			}
			default:
				return false;
		}
	}
}
