import { error } from '@sveltejs/kit';
import * as bridge from '$lib/server/claude/tasks/bridge';
import { changesView } from '$lib/server/claude/tasks/changes';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ params }) => {
	try {
		return { task: bridge.taskView(params.taskId), changes: changesView(params.taskId) };
	} catch {
		error(404, 'No such task.');
	}
};
