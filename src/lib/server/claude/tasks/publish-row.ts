// Pushes a task's row (status, cost, hostname) to the task's listeners after it changed in the database.
// Its own module because both the attachment (attach.ts) and the change recorder (changes.ts) publish rows,
// and attach.ts already imports changes.ts: kept here, the two need not import each other.

import { getEnvironment } from '../../environments/repo';
import { publishTask } from './bus';
import { getTask, toTaskView } from './repo';

/** Publish the task's current row as its view; nothing when the task is gone. */
export function publishTaskRow(taskId: string): void {
	const row = getTask(taskId);
	if (row) publishTask(taskId, { kind: 'task', task: toTaskView(row, getEnvironment(row.environment_id)?.hostname ?? null) });
}
