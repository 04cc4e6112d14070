import { error } from '@sveltejs/kit';
import * as bridge from '$lib/server/claude/tasks/bridge';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ params }) => {
	try {
		return { task: bridge.taskView(params.taskId) };
	} catch {
		error(404, 'No such task.');
	}
};
