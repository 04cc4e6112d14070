import { json } from '@sveltejs/kit';
import * as repos from '$lib/server/repos';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

/** The stored repository credentials: name, kind, public parts and dates; never a secret. */
export const GET: RequestHandler = (event) =>
	api(() => {
		requireUser(event);
		return json(repos.listCredentials());
	});

/** Add one: {name, kind: 'ssh_key', privateKey, knownHosts?} or {name, kind: 'token', username, token}. Audited. */
export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const body = await readJsonBody(event.request);
		return json(repos.createCredential(body, actorOf(event)), { status: 201 });
	});
