import * as audit from '$lib/server/audit';
import { authStatus } from '$lib/server/claude/auth';
import { listTasks } from '$lib/server/claude/tasks-repo';
import type { PageServerLoad } from './$types';

const RECENT_TASKS = 5;

export const load: PageServerLoad = () => {
	const { state, method, expiresAt } = authStatus();
	// One line per task: the prompt's head is all the dashboard shows (a prompt may be 100 KB).
	const tasks = listTasks({}, 1, RECENT_TASKS).tasks.map((t) => ({ ...t, prompt: t.prompt.slice(0, 200) }));
	return { activity: audit.recent(10), claude: { state, method, expiresAt, tasks } };
};
