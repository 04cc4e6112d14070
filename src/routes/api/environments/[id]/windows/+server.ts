// Terminal tabs = tmux windows of the environment's `spyre` session. GET lists them (creating the session
// if needed), POST creates one. Thin: authenticate, call tmux-controller, map errors to {error, code}.

import { json } from '@sveltejs/kit';
import { audited } from '$lib/server/audit';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import { requireReachable } from '$lib/server/environments/reachable';
import { tmux } from '$lib/server/terminal';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const target = requireReachable(event.params.id);
		await tmux.ensureSession(target);
		return json({ windows: await tmux.listWindows(target) });
	});

export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const envId = event.params.id;
		const window = await audited(
			actorOf(event),
			'terminal.window.create',
			envId,
			async () => {
				const body = await readJsonBody(event.request, 4096);
				const name = body.name === undefined || body.name === null || body.name === '' ? undefined : tmux.validateWindowName(body.name);
				const target = requireReachable(envId);
				await tmux.ensureSession(target);
				return tmux.createWindow(target, name);
			},
			(w) => `window ${w.index} ${JSON.stringify(w.name)}`
		);
		return json({ window }, { status: 201 });
	});
