// One terminal tab (tmux window): PATCH {name} renames it, DELETE kills it (and whatever runs in it).
// Closing a tab in the browser does not come here: that only detaches.

import { json } from '@sveltejs/kit';
import { record } from '$lib/server/audit';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import { messageOf } from '$lib/server/errors';
import { targetForEnvironment } from '$lib/server/ssh-pool';
import * as tmux from '$lib/server/tmux-controller';
import type { RequestHandler } from './$types';

export const PATCH: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const envId = event.params.id;
		const actor = actorOf(event);
		try {
			const index = tmux.validateWindowIndex(event.params.index);
			const body = await readJsonBody(event.request, 4096);
			const name = tmux.validateWindowName(body.name);
			await tmux.renameWindow(targetForEnvironment(envId), index, name);
			record(actor, 'terminal.window.rename', envId, 'success', `window ${index} -> ${JSON.stringify(name)}`);
			return json({ index, name });
		} catch (err) {
			record(actor, 'terminal.window.rename', envId, 'failure', messageOf(err));
			throw err;
		}
	});

export const DELETE: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const envId = event.params.id;
		const actor = actorOf(event);
		try {
			const index = tmux.validateWindowIndex(event.params.index);
			await tmux.killWindow(targetForEnvironment(envId), index);
			record(actor, 'terminal.window.kill', envId, 'success', `window ${index}`);
			return new Response(null, { status: 204 });
		} catch (err) {
			record(actor, 'terminal.window.kill', envId, 'failure', messageOf(err));
			throw err;
		}
	});
