import { error } from '@sveltejs/kit';
import * as attempts from '$lib/server/claude/attempts';
import { isSpyreError } from '$lib/server/errors';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ params }) => {
	try {
		return { set: attempts.view(params.setId) };
	} catch (err) {
		if (isSpyreError(err) && err.code === 'not_found') error(404, 'No such attempt set.');
		throw err;
	}
};
