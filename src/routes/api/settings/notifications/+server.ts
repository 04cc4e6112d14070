import { json } from '@sveltejs/kit';
import * as notify from '$lib/server/notify';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** The webhook (its origin only) and the last deliveries. */
export const GET: RequestHandler = (event) =>
	api(() => {
		requireUser(event);
		return json(notify.settingsView());
	});

/** Set the webhook: {url} (http or https), or {url: null} to remove it. */
export const PUT: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const body = await readJsonBody(event.request);
		return json(await notify.setWebhook(body.url ?? null, actorOf(event)));
	});
