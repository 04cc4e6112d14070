import { json } from '@sveltejs/kit';
import * as environments from '$lib/server/environments';
import { actorOf, api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const row = environments.startEnvironment(event.params.id, actorOf(event));
		return json({ id: row.id, environment: environments.rowView(row) }, { status: 202 });
	});
