import { authStatus } from '$lib/server/claude/auth';
import { listTasks } from '$lib/server/claude/tasks';
import { costSummary } from '$lib/server/claude/broker/costs';
import { loadDashboard } from '$lib/server/environments/dashboard';
import type { PageServerLoad } from './$types';

const RECENT_TASKS = 5;

// One Proxmox /cluster/resources call per load (inside loadDashboard); everything after that arrives
// over /api/events. `app:dashboard` lets the page refresh the parts no event carries (activity).
export const load: PageServerLoad = async ({ locals, depends }) => {
	depends('app:dashboard');
	const { state, method, expiresAt } = authStatus();
	// One line per task: the prompt's head is all the dashboard shows (a prompt may be 100 KB).
	const tasks = listTasks({}, 1, RECENT_TASKS).tasks.map((t) => ({ ...t, prompt: t.prompt.slice(0, 200) }));
	const dashboard = await loadDashboard(locals.user?.id ?? null);
	return { dashboard, claude: { state, method, expiresAt, tasks }, costs: costSummary() };
};
