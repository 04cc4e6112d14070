import { json } from '@sveltejs/kit';
import * as repos from '$lib/server/repos';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** Replace a credential's secret (and kind): the same body as adding one, without the name. Audited. */
export const PUT: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const body = await readJsonBody(event.request);
		return json(repos.replaceCredential(event.params.name, body, actorOf(event)));
	});

/** Delete a credential. Audited. */
export const DELETE: RequestHandler = (event) =>
	api(() => {
		requireUser(event);
		repos.deleteCredential(event.params.name, actorOf(event));
		return new Response(null, { status: 204 });
	});
