import { json } from '@sveltejs/kit';
import * as configs from '$lib/server/configs';
import { actorOf, api, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** Save an earlier version's text as the config's newest version. Audited (config.restore). */
export const POST: RequestHandler = (event) =>
	api(() => {
		requireUser(event);
		const version = configs.parseVersion(event.params.version, 'version');
		return json({ config: configs.restoreConfigVersion(event.params.name, version, actorOf(event)) });
	});
