import { error } from '@sveltejs/kit';
import * as configs from '$lib/server/configs';
import { isSpyreError } from '$lib/server/errors';
import type { PageServerLoad } from './$types';

// The text as written, plus the first check (so the problems and the resolved view are there before the
// editor loads), plus the list for the clone dialog's taken names.
export const load: PageServerLoad = ({ params }) => {
	let config: ReturnType<typeof configs.readConfig>;
	try {
		config = configs.readConfig(params.name);
	} catch (err) {
		if (isSpyreError(err) && (err.code === 'not_found' || err.code === 'bad_request')) error(404, err.message);
		if (isSpyreError(err)) error(err.status, err.message);
		throw err;
	}
	return {
		config,
		check: configs.checkConfigText(config.text, { name: config.name }),
		configs: configs.listConfigs()
	};
};
