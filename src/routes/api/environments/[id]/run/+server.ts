import { json } from '@sveltejs/kit';
import * as environments from '$lib/server/environments';
import { SpyreError } from '$lib/server/errors';
import { api, requireUser } from '$lib/server/http';
import type { RunKind } from '$lib/shared/types/environments';
import type { RequestHandler } from './$types';

const KINDS: readonly RunKind[] = ['create', 'provision', 'start', 'stop', 'destroy'];

/**
 * The newest run of an environment (create, provision, start, stop, destroy), the newest of one kind
 * (`?kind=provision`), or the one named by `?run=ID`, with its recorded steps, progress and log lines
 * (the newest 500; `earlierEvents` says how many came before, and `&before=SEQ` pages back to them).
 */
export const GET: RequestHandler = (event) =>
	api(async () => {
		requireUser(event);
		const id = event.params.id;
		if (!environments.getEnvironment(id)) throw new SpyreError('not_found', `Environment ${id} does not exist.`);
		const wanted = event.url.searchParams.get('run');
		if (wanted === null) {
			const kind = event.url.searchParams.get('kind');
			if (kind !== null && !KINDS.includes(kind as RunKind)) {
				throw new SpyreError('validation', `kind must be one of ${KINDS.join(', ')}.`, { fields: { kind: 'unknown run kind' } });
			}
			return json({ run: environments.latestRun(id, (kind ?? undefined) as RunKind | undefined) });
		}
		const before = event.url.searchParams.get('before');
		if (before !== null && !/^[1-9]\d{0,14}$/.test(before)) {
			throw new SpyreError('validation', 'before must be an event number (seq).', { fields: { before: 'not an event number' } });
		}
		const run = /^\d{1,15}$/.test(wanted) ? environments.getRun(Number(wanted), undefined, before === null ? null : Number(before)) : null;
		// A run of another environment is as absent as one that never existed.
		if (!run || run.environmentId !== id) throw new SpyreError('not_found', `Run ${wanted.slice(0, 20)} of ${id} does not exist.`);
		return json({ run });
	});
