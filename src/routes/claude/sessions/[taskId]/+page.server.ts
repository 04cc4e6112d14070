import { error } from '@sveltejs/kit';
import { bridge, changesView } from '$lib/server/claude/tasks';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ params }) => {
	try {
		return { task: bridge.taskView(params.taskId), changes: changesView(params.taskId) };
	} catch {
		error(404, 'No such task.');
	}
};
