import { json } from '@sveltejs/kit';
import * as configs from '$lib/server/configs';
import { SpyreError } from '$lib/server/errors';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** Every config, built-in and the user's, with its validity. */
export const GET: RequestHandler = (event) =>
	api(() => {
		requireUser(event);
		return json({ configs: configs.listConfigs() });
	});

type From = { blank: true } | { base: string } | { clone: string };

/** Only the three shapes the module takes; anything else is the caller's mistake, said plainly. */
function parseFrom(value: unknown): From {
	const v = (value ?? {}) as Record<string, unknown>;
	if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
		if (v.blank === true) return { blank: true };
		if (typeof v.base === 'string') return { base: v.base };
		if (typeof v.clone === 'string') return { clone: v.clone };
	}
	throw new SpyreError('bad_request', 'from must be {"blank": true}, {"base": "<name>"} or {"clone": "<name>"}.', {
		fields: { from: 'Choose how to start the config.' }
	});
}

/** Create a config: blank, extending a base, or a copy of another. 201 with its summary. */
export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const body = await readJsonBody(event.request, 4 * 1024);
		if (typeof body.name !== 'string') throw new SpyreError('bad_request', 'name is required.', { fields: { name: 'Enter a name.' } });
		const summary = configs.createConfig(body.name, parseFrom(body.from), actorOf(event));
		return json({ config: summary }, { status: 201, headers: { location: `/api/configs/${encodeURIComponent(summary.name)}` } });
	});
