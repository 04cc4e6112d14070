import { json } from '@sveltejs/kit';
import * as provisioner from '$lib/server/provisioner';
import { actorOf, api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** Cancel the environment's running job: the running step is stopped, the container is kept. */
export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		provisioner.cancelRun(event.params.id, actorOf(event));
		return json({ id: event.params.id }, { status: 202 });
	});
