// Browser-safe shape of what Claude cost, as Spyre's broker measured it (never what a CT reported).

export interface CostSummary {
	/** Spent this calendar month (UTC) and the limit from environment.yaml's claude.monthly_budget_usd. */
	monthUsd: number;
	monthlyBudgetUsd: number | null;
	/** The last days (UTC), oldest first, days without calls included (0). `day` is YYYY-MM-DD. */
	byDay: Array<{ day: string; usd: number; calls: number }>;
	/** This month per environment, most expensive first. */
	byEnvironment: Array<{ environmentId: string; hostname: string | null; usd: number; tasks: number }>;
}
