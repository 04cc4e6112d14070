// Which buttons a Claude task offers. A task that never ran (it failed before Claude Code started: no
// start time) changed nothing and has no conversation, so it offers neither Resume nor Roll back, even
// when a snapshot was taken just before the start failed. Pure.

import { ACTIVE_STATUSES, type TaskView } from '$lib/shared/types/claude';

export interface TaskActions {
	cancel: boolean;
	resume: boolean;
	rollback: boolean;
}

export function taskActions(task: Pick<TaskView, 'status' | 'sessionId' | 'snapshot' | 'startedAt'>): TaskActions {
	const active = ACTIVE_STATUSES.includes(task.status);
	const ran = task.startedAt !== null;
	return { cancel: active, resume: !active && ran && task.sessionId !== null, rollback: ran && task.snapshot !== null };
}
