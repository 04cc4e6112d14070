import { error } from '@sveltejs/kit';
import { bridge } from '$lib/server/claude/tasks';
import * as attempts from '$lib/server/claude/attempts';
import * as environments from '$lib/server/environments';
import { costSummary } from '$lib/server/claude/broker/costs';
import * as repos from '$lib/server/repos';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ params, url }) => {
	const row = environments.getEnvironment(params.id);
	if (!row) error(404, `Environment ${params.id} does not exist.`);
	const history = bridge.listTasks({ environmentId: row.id }, 1, 50);
	const wanted = url.searchParams.get('task');
	let selected;
	try {
		selected = wanted ? bridge.taskView(wanted) : (history.tasks[0] ?? null);
	} catch {
		selected = null;
	}
	if (selected && selected.environmentId !== row.id) selected = null;
	return {
		environment: { id: row.id, hostname: row.hostname, status: row.status, configName: row.config_name, attemptSetId: row.attempt_set_id },
		readiness: bridge.readiness(row.id),
		defaults: bridge.defaultOptions(row.id),
		// The config's repos, offered for a task's branch (any git work tree's top level is accepted too).
		repos: repos.reposOf(row.id).map((r) => r.path),
		history: history.tasks,
		attemptSets: attempts.list({ sourceEnvId: row.id }).slice(0, 10),
		selected,
		// Where a task is started, the month's spend against the budget (the broker refuses calls past it).
		costs: costSummary({ days: 1 })
	};
};
