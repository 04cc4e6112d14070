import { json } from '@sveltejs/kit';
import { audited } from '$lib/server/audit';
import { saveApiKey } from '$lib/server/claude/auth';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

// The alternative to a subscription: an API key, stored encrypted and never shown again.
export const POST: RequestHandler = (event) =>
	api(async () => {
		const user = requireUser(event);
		const body = await readJsonBody(event.request, 4096);
		const key = typeof body.apiKey === 'string' ? body.apiKey : '';
		return json(await audited(actorOf(event), 'claude.auth.api_key', null, async () => saveApiKey(key, { userId: user.id })));
	});
