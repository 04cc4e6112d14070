import { json } from '@sveltejs/kit';
import * as configs from '$lib/server/configs';
import { SpyreError } from '$lib/server/errors';
import { api, readJsonBody, requireUser } from '$lib/server/http';
import { MAX_CONFIG_BYTES } from '$lib/shared/types/configs';
import type { RequestHandler } from './$types';

/** Check unsaved YAML as the editor types: every problem with its position, and the merged result. */
export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const body = await readJsonBody(event.request, MAX_CONFIG_BYTES * 2 + 4096);
		if (typeof body.text !== 'string') throw new SpyreError('bad_request', 'text (the YAML) is required.');
		if (body.name !== undefined && typeof body.name !== 'string') throw new SpyreError('bad_request', 'name must be a string.');
		const { problems, resolved } = configs.checkConfigText(body.text, { name: body.name });
		return json({ problems, resolved });
	});
