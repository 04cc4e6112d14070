import { json } from '@sveltejs/kit';
import * as configs from '$lib/server/configs';
import { api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** The config format as JSON Schema (editor completion, and editors outside Spyre). */
export const GET: RequestHandler = (event) =>
	api(() => {
		requireUser(event);
		return json(configs.configJsonSchema(), { headers: { 'cache-control': 'private, max-age=300' } });
	});
