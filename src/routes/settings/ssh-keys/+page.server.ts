import { fail } from '@sveltejs/kit';
import * as gateway from '$lib/server/gateway';
import { isSpyreError } from '$lib/server/errors';
import { actorOf, formString, readForm, requireUser } from '$lib/server/http';
import type { Actions, PageServerLoad } from './$types';

// The signed-in user's public keys for the SSH gateway, and the gateway's own host key fingerprint to
// compare on first connect. Thin: parsing, duplicates, audit and refusing removed keys are gateway/keys.ts.
export const load: PageServerLoad = (event) => {
	const user = requireUser(event);
	return { keys: gateway.keys.list(user.id), gateway: gateway.gatewayInfo() };
};

type Failure = { action: 'add' | 'remove'; error: string; fields: Record<string, string>; values?: { name: string; key: string } };

async function act(event: Parameters<Actions[string]>[0], action: 'add' | 'remove', work: (form: FormData, actor: ReturnType<typeof actorOf> & { userId: number }) => unknown) {
	const user = requireUser(event);
	let form: FormData;
	try {
		form = await readForm(event.request, 32 * 1024);
	} catch (err) {
		const failure: Failure = { action, error: isSpyreError(err) ? err.message : 'The form could not be read.', fields: {} };
		return fail(400, failure);
	}
	try {
		work(form, { ...actorOf(event), userId: user.id });
		return { action, done: true };
	} catch (err) {
		if (!isSpyreError(err)) throw err;
		const failure: Failure = {
			action,
			error: err.message,
			fields: err.fields ?? {},
			values: action === 'add' ? { name: formString(form, 'name', 200), key: formString(form, 'key', 16 * 1024) } : undefined
		};
		return fail(err.status, failure);
	}
}

export const actions: Actions = {
	add: (event) => act(event, 'add', (form, actor) => gateway.keys.add(actor, { name: formString(form, 'name', 200), key: formString(form, 'key', 16 * 1024) })),
	remove: (event) =>
		act(event, 'remove', (form, actor) => {
			const id = Number(formString(form, 'id', 20));
			gateway.keys.remove(actor, Number.isSafeInteger(id) ? id : -1);
		})
};
