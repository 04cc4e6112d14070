import { json } from '@sveltejs/kit';
import * as environments from '$lib/server/environments';
import { SpyreError } from '$lib/server/errors';
import { api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/**
 * Every run of an environment, newest first, without logs, a page at a time: `?before=RUN_ID` gives the runs
 * older than that one; `more` says whether older ones remain. Each run's log is `/run?run=ID`.
 */
export const GET: RequestHandler = (event) =>
	api(() => {
		requireUser(event);
		const id = event.params.id;
		if (!environments.getEnvironment(id)) throw new SpyreError('not_found', `Environment ${id} does not exist.`);
		const before = event.url.searchParams.get('before');
		if (before !== null && !/^[1-9]\d{0,14}$/.test(before)) {
			throw new SpyreError('validation', 'before must be a run id.', { fields: { before: 'not a run id' } });
		}
		const page = environments.listRuns(id, environments.LISTED_RUNS + 1, undefined, before === null ? null : Number(before));
		return json({ runs: page.slice(0, environments.LISTED_RUNS), more: page.length > environments.LISTED_RUNS });
	});
