// One terminal tab (tmux window): PATCH {name} renames it, DELETE kills it (and whatever runs in it).
// Closing a tab in the browser does not come here: that only detaches.

import { json } from '@sveltejs/kit';
import { audited } from '$lib/server/audit';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import { requireReachable } from '$lib/server/environments/reachable';
import { tmux } from '$lib/server/terminal';
import type { RequestHandler } from './$types';

export const PATCH: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const envId = event.params.id;
		const renamed = await audited(
			actorOf(event),
			'terminal.window.rename',
			envId,
			async () => {
				const index = tmux.validateWindowIndex(event.params.index);
				const name = tmux.validateWindowName((await readJsonBody(event.request, 4096)).name);
				await tmux.renameWindow(requireReachable(envId), index, name);
				return { index, name };
			},
			(r) => `window ${r.index} -> ${JSON.stringify(r.name)}`
		);
		return json(renamed);
	});

export const DELETE: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const envId = event.params.id;
		await audited(
			actorOf(event),
			'terminal.window.kill',
			envId,
			async () => {
				const index = tmux.validateWindowIndex(event.params.index);
				await tmux.killWindow(requireReachable(envId), index);
				return index;
			},
			(index) => `window ${index}`
		);
		return new Response(null, { status: 204 });
	});
