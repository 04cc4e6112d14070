import { json } from '@sveltejs/kit';
import * as environments from '$lib/server/environments';
import { SpyreError } from '$lib/server/errors';
import { api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** The newest create/start/stop/destroy run of an environment, with its recorded steps and log lines. */
export const GET: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		if (!environments.getEnvironment(event.params.id)) throw new SpyreError('not_found', `Environment ${event.params.id} does not exist.`);
		return json({ run: environments.latestRun(event.params.id) });
	});
