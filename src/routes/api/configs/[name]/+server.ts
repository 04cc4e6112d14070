import { json } from '@sveltejs/kit';
import * as configs from '$lib/server/configs';
import { SpyreError } from '$lib/server/errors';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import { MAX_CONFIG_BYTES } from '$lib/shared/types/configs';
import type { RequestHandler } from './$types';

/** One config's YAML as written (not resolved), and whether it is built-in. */
export const GET: RequestHandler = (event) =>
	api(() => {
		requireUser(event);
		return json({ config: configs.readConfig(event.params.name) });
	});

/** Save a config's YAML (invalid YAML is saved too: the answer says what is wrong). */
export const PUT: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		// JSON escaping can double a text's size; the module itself refuses texts over the limit with a
		// message that names it.
		const body = await readJsonBody(event.request, MAX_CONFIG_BYTES * 2 + 4096);
		if (typeof body.text !== 'string') throw new SpyreError('bad_request', 'text (the YAML) is required.');
		return json({ config: configs.saveConfig(event.params.name, body.text, actorOf(event)) });
	});

export const DELETE: RequestHandler = (event) =>
	api(() => {
		requireUser(event);
		configs.deleteConfig(event.params.name, actorOf(event));
		return new Response(null, { status: 204 });
	});
