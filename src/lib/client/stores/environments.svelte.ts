// The browser's one store of environments: the rows a page shows, their run logs and the provision runs in
// progress (and, for the paged list, the totals over every environment), seeded from the page's load and
// changed by /api/events. The dashboard, the environments page and an environment's own page each hold
// one, with a scope saying what a row is there and where a new environment goes; the events are reduced
// here only (rules in environments-model.ts, dashboard-model.ts and environment-totals.ts). Page-specific
// reactions (navigate away, reload the rest) go in connect()'s callback.

import { liveEvents, type LiveEvent } from '../live-events.svelte';
import { applyRunEnd, applyRunLog, liteOf, removeEnvRuns, type EnvLite, type ProvisionItem } from '$lib/shared/dashboard-model';
import { retally, type EnvironmentTotals, type KnownBefore } from '$lib/shared/environment-totals';
import type { EnvironmentStatus, EnvironmentView } from '$lib/shared/types/environments';
import { appendLogLine, dropLog, keepLiveMetrics, removeRow, upsertRow, type LogLine, type Placement } from './environments-model';

export type { LogLine, Placement } from './environments-model';

/** What one page keeps of an environment, and which pushed environments it takes in. */
export interface EnvironmentsScope<Row extends { id: string; hostname: string; status: EnvironmentStatus }> {
	toRow(view: EnvironmentView, prev: Row | undefined): Row;
	/** Where an environment this page does not list yet goes when an event brings it. */
	placeNew(view: EnvironmentView): Placement;
}

export interface EnvironmentsSeed<Row> {
	rows: Row[];
	logs?: Record<string, LogLine[]>;
	provisions?: ProvisionItem[];
	/** Figures over more environments than `rows` (the list's header): kept true by difference. */
	totals?: EnvironmentTotals;
}

export class EnvironmentsStore<Row extends { id: string; hostname: string; status: EnvironmentStatus }> {
	// Raw state: every change replaces the array (the reducers are immutable), so no deep proxies over
	// hundreds of rows.
	rows = $state.raw<Row[]>([]);
	logs = $state.raw<Record<string, LogLine[]>>({});
	provisions = $state.raw<ProvisionItem[]>([]);
	/** Null when the page counts its rows itself (they are all there is, as on the dashboard). */
	totals = $state.raw<EnvironmentTotals | null>(null);
	/**
	 * Set by apply() when its event changed the totals in a way this page cannot count (an environment it
	 * does not hold): they stay as they were, and the caller reloads them from the server.
	 */
	uncounted = false;
	readonly #scope: EnvironmentsScope<Row>;

	constructor(scope: EnvironmentsScope<Row>, seed: EnvironmentsSeed<Row>) {
		this.#scope = scope;
		this.seed(seed);
	}

	/** A fresh load (first, another page of the list, or after an invalidate) replaces what events built. */
	seed(seed: EnvironmentsSeed<Row>): void {
		this.rows = seed.rows;
		this.logs = seed.logs ?? {};
		this.provisions = seed.provisions ?? [];
		this.totals = seed.totals ?? null;
	}

	get(id: string): Row | undefined {
		return this.rows.find((r) => r.id === id);
	}

	/** An environment this page just created (its answer came before the event): shown at the top. */
	add(view: EnvironmentView, placement: Placement = 'top'): void {
		const prev = this.get(view.id);
		this.#tally(prev?.status ?? 'new', view.status);
		this.rows = upsertRow(this.rows, this.#scope.toRow(view, prev), placement);
	}

	/** Apply one live event; returns whether it concerned environments. */
	apply(event: LiveEvent): boolean {
		this.uncounted = false;
		switch (event.type) {
			case 'env.updated': {
				const view = event.data.environment;
				const prev = this.get(view.id);
				this.#tally(prev?.status ?? 'unknown', view.status);
				this.rows = upsertRow(this.rows, this.#scope.toRow(view, prev), prev ? 'none' : this.#scope.placeNew(view));
				return true;
			}
			case 'env.removed': {
				const { id } = event.data;
				this.#tally(this.get(id)?.status ?? 'unknown', 'removed');
				this.rows = removeRow(this.rows, id);
				this.logs = dropLog(this.logs, id);
				this.provisions = removeEnvRuns(this.provisions, id);
				return true;
			}
			case 'env.log': {
				const d = event.data;
				this.provisions = applyRunLog(this.provisions, d, (id) => this.get(id)?.hostname ?? null);
				// Logs of rows on other pages of the list are not ours to keep.
				if (this.get(d.id)) this.logs = { ...this.logs, [d.id]: appendLogLine(this.logs[d.id], d) };
				return true;
			}
			case 'env.run':
				this.provisions = applyRunEnd(this.provisions, event.data, event.ts);
				return true;
			default:
				return false;
		}
	}

	#tally(before: KnownBefore, after: EnvironmentStatus | 'removed'): void {
		if (!this.totals) return;
		const next = retally(this.totals, before, after);
		if (next) this.totals = next;
		else this.uncounted = true;
	}

	/** Follow /api/events until the returned function is called; `then` sees every event after the store. */
	connect(then?: (event: LiveEvent) => void): () => void {
		return liveEvents.on((event) => {
			this.apply(event);
			then?.(event);
		});
	}
}

/** The dashboard counts and charges environments: a little of each, every one of them. */
export const dashboardScope: EnvironmentsScope<EnvLite> = {
	toRow: (view) => liteOf(view),
	placeNew: () => 'bottom'
};

/**
 * One page of the environments list (server-side paging and filters): rows on other pages are not shown;
 * a new environment (pending) appears at the top unless a filter is on, since it may not match it.
 */
export function listingScope(isFiltered: () => boolean): EnvironmentsScope<EnvironmentView> {
	return {
		toRow: keepLiveMetrics,
		placeNew: (view) => (view.status === 'pending' && !isFiltered() ? 'top' : 'none')
	};
}

/** One environment's own page: only that row, which keeps its live numbers. */
export const singleScope: EnvironmentsScope<EnvironmentView> = {
	toRow: keepLiveMetrics,
	placeNew: () => 'none'
};
