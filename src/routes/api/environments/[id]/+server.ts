import { json } from '@sveltejs/kit';
import * as environments from '$lib/server/environments';
import { SpyreError } from '$lib/server/errors';
import { actorOf, api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

function rowOr404(id: string) {
	const row = environments.getEnvironment(id);
	if (!row) throw new SpyreError('not_found', `Environment ${id} does not exist.`);
	return row;
}

export const GET: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		return json(await environments.loadEnvironmentView(rowOr404(event.params.id)));
	});

/** Destroy: stops a running CT first, then destroys it and removes the record. 202; follow /api/events. */
export const DELETE: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		rowOr404(event.params.id);
		const row = environments.destroyEnvironment(event.params.id, actorOf(event));
		return json({ id: row.id, environment: environments.rowView(row) }, { status: 202 });
	});
