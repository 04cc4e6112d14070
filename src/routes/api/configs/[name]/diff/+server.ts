import { json } from '@sveltejs/kit';
import * as configs from '$lib/server/configs';
import { api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** A unified diff from version `?from=` to version `?to=` of one config. */
export const GET: RequestHandler = (event) =>
	api(() => {
		requireUser(event);
		const from = configs.parseVersion(event.url.searchParams.get('from'), 'from');
		const to = configs.parseVersion(event.url.searchParams.get('to'), 'to');
		return json(configs.diffConfigVersions(event.params.name, from, to));
	});
