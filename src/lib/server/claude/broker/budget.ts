// The budget rule, pure: may a task make another call, given what it and this month have cost so far
// (as the broker measured them) and the limits (the task's maxBudgetUsd, environment.yaml's
// claude.monthly_budget_usd)? Returns the sentence the CLI prints and the task page shows, or null.

export interface BudgetInput {
	taskSpentUsd: number;
	taskBudgetUsd: number | null;
	monthSpentUsd: number;
	monthlyBudgetUsd: number | null;
}

const usd = (n: number) => `$${n.toFixed(n < 1 ? 4 : 2)}`;

export function budgetRefusal(b: BudgetInput): string | null {
	if (b.taskBudgetUsd !== null && b.taskSpentUsd >= b.taskBudgetUsd) {
		return `Spyre refused this call: the task reached its budget of ${usd(b.taskBudgetUsd)} (spent ${usd(b.taskSpentUsd)}, measured by Spyre's broker).`;
	}
	if (b.monthlyBudgetUsd !== null && b.monthSpentUsd >= b.monthlyBudgetUsd) {
		return `Spyre refused this call: this month's Claude budget of ${usd(b.monthlyBudgetUsd)} is used up (spent ${usd(b.monthSpentUsd)}; claude.monthly_budget_usd in environment.yaml).`;
	}
	return null;
}
