import { json } from '@sveltejs/kit';
import * as environments from '$lib/server/environments';
import { SpyreError } from '$lib/server/errors';
import { api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/**
 * The newest run of an environment (create, provision, start, stop, destroy), or the one named by
 * `?run=ID`, with its recorded steps, progress and log lines.
 */
export const GET: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const id = event.params.id;
		if (!environments.getEnvironment(id)) throw new SpyreError('not_found', `Environment ${id} does not exist.`);
		const wanted = event.url.searchParams.get('run');
		if (wanted === null) return json({ run: environments.latestRun(id) });
		const run = /^\d{1,15}$/.test(wanted) ? environments.getRun(Number(wanted)) : null;
		// A run of another environment is as absent as one that never existed.
		if (!run || run.environmentId !== id) throw new SpyreError('not_found', `Run ${wanted.slice(0, 20)} of ${id} does not exist.`);
		return json({ run });
	});
