// What the broker tells a task's page: its measured usage (totals on the row, then the row is published)
// and a refused call (a `spyre` event in the task's transcript). Kept apart from server.ts so the request
// path stays free of the event bus's imports.

import { appendEvents, updateTask } from '../tasks/repo';
import { publishTask } from '../tasks/bus';
import { publishTaskRow } from '../tasks/publish-row';
import { taskUsage } from './ledger';
import { getTask } from '../tasks/repo';
import { getEnvironment } from '../../environments/repo';
import { announce, budgetNotice } from '../../notify/notices';

export function noteUsage(taskId: string): void {
	const totals = taskUsage(taskId);
	updateTask(taskId, { cost_usd: totals.costUsd, usage: JSON.stringify(totals) });
	publishTaskRow(taskId);
}

export function noteRefusal(taskId: string, reason: string): void {
	const stored = appendEvents(taskId, [{ type: 'spyre', data: { text: reason, marker: 'refused' }, bytes: 0, size: 0 }], 0);
	for (const event of stored) publishTask(taskId, { kind: 'event', event });
	publishTaskRow(taskId);
	// The owner decides what happens next (raise the budget, or let the task end): tell them now.
	const row = getTask(taskId);
	if (row) announce(budgetNotice({ id: taskId, environmentId: row.environment_id, hostname: getEnvironment(row.environment_id)?.hostname ?? null }, reason));
}
