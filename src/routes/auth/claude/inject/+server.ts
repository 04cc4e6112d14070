import { json } from '@sveltejs/kit';
import { setInjection } from '$lib/server/claude/auth/broker-settings';
import { SpyreError } from '$lib/server/errors';
import { actorOf, api, readJsonBody, requireUser } from '$lib/server/http';
import type { RequestHandler } from './$types';

// The owner's opt-in to inject the long-lived credential into tasks instead of using the broker (audited).
export const POST: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const body = await readJsonBody(event.request, 1024);
		if (typeof body.enabled !== 'boolean') throw new SpyreError('validation', 'Say whether to inject the credential.', { fields: { enabled: 'must be true or false' } });
		return json(await setInjection(body.enabled, actorOf(event)));
	});
