import { json } from '@sveltejs/kit';
import * as notify from '$lib/server/notify';
import { actorOf, api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** Send a test notification to the webhook → 202 {id}; its outcome shows in the deliveries. */
export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		return json({ id: await notify.sendTest(actorOf(event)) }, { status: 202 });
	});
