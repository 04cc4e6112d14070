import { json } from '@sveltejs/kit';
import * as configs from '$lib/server/configs';
import { api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** One version of a config, with its text. */
export const GET: RequestHandler = (event) =>
	api(() => {
		requireUser(event);
		const version = configs.parseVersion(event.params.version, 'version');
		return json({ version: configs.getConfigVersion(event.params.name, version) });
	});
