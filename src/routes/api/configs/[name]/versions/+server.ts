import { json } from '@sveltejs/kit';
import * as configs from '$lib/server/configs';
import { api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** A config's versions, newest first (number, when, who, size, SHA-256), without their text. */
export const GET: RequestHandler = (event) =>
	api(() => {
		requireUser(event);
		return json({ versions: configs.listConfigVersions(event.params.name) });
	});
