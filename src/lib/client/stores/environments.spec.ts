// The store's totals over a listing page: pinned here (not only in environment-totals.spec) because the
// bug was the page reading the load's figures while the store's rows moved on.
import { describe, expect, it } from 'vitest';
import { environmentView } from '$lib/shared/types/environments.fixture';
import type { LiveEvent } from '../live-events.svelte';
import { EnvironmentsStore, listingScope } from './environments.svelte';
import type { EnvironmentView } from '$lib/shared/types/environments';

const updated = (environment: EnvironmentView): LiveEvent => ({ seq: 1, ts: 0, type: 'env.updated', data: { environment } });
const removed = (id: string): LiveEvent => ({ seq: 1, ts: 0, type: 'env.removed', data: { id, hostname: id } });

function listing(rows: EnvironmentView[], totals = { all: rows.length, running: rows.filter((r) => r.status === 'running').length }) {
	return new EnvironmentsStore(
		listingScope(() => false),
		{ rows, totals }
	);
}

describe('EnvironmentsStore totals', () => {
	it('counts an environment created on this page, and follows it as it comes up and goes', () => {
		const store = listing([]);
		store.add(environmentView('a', { status: 'pending' }));
		expect(store.totals).toEqual({ all: 1, running: 0 });
		store.apply(updated(environmentView('a', { status: 'running' })));
		expect(store.totals).toEqual({ all: 1, running: 1 });
		expect(store.uncounted).toBe(false);
		store.apply(removed('a'));
		expect(store.totals).toEqual({ all: 0, running: 0 });
	});

	it('does not count twice a created environment whose event came before the answer', () => {
		const store = listing([environmentView('a')]);
		store.apply(updated(environmentView('b', { status: 'pending' })));
		expect(store.uncounted).toBe(true);
		store.add(environmentView('b', { status: 'pending' }));
		expect(store.totals).toEqual({ all: 1, running: 1 });
	});

	it('asks for a reload when an environment it does not hold changes, and not for other events', () => {
		const store = listing([environmentView('a')], { all: 40, running: 12 });
		store.apply(updated(environmentView('elsewhere', { status: 'stopped' })));
		expect(store.uncounted).toBe(true);
		expect(store.totals).toEqual({ all: 40, running: 12 });
		store.apply(updated(environmentView('a', { status: 'stopping' })));
		expect(store.uncounted).toBe(false);
		expect(store.totals).toEqual({ all: 40, running: 11 });
		store.apply(removed('gone-elsewhere'));
		expect(store.uncounted).toBe(true);
	});

	it('takes the totals of a fresh load', () => {
		const store = listing([]);
		store.add(environmentView('a'));
		store.seed({ rows: [], totals: { all: 7, running: 3 } });
		expect(store.totals).toEqual({ all: 7, running: 3 });
	});
});
