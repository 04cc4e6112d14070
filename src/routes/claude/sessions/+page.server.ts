import { error } from '@sveltejs/kit';
import { bridge, TASK_PAGE_SIZE, parseTaskQuery, type TaskQuery } from '$lib/server/claude/tasks';
import * as environments from '$lib/server/environments';
import { costSummary } from '$lib/server/claude/broker/costs';
import { isSpyreError } from '$lib/server/errors';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ url }) => {
	let query: TaskQuery;
	try {
		query = parseTaskQuery(url.searchParams);
	} catch (err) {
		if (isSpyreError(err)) error(err.status, err.message);
		throw err;
	}
	const { tasks, total } = bridge.listTasks(query.filter, query.page, TASK_PAGE_SIZE);
	return {
		tasks,
		total,
		page: query.page,
		pageSize: TASK_PAGE_SIZE,
		filter: query.form,
		environments: environments.listEnvironments().map((e) => ({ id: e.id, hostname: e.hostname })),
		costs: costSummary()
	};
};
