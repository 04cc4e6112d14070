// The environments page's header figures: how many environments Spyre manages and how many run, over
// all of them whatever the filters and page. The server counts them over the whole inventory; the page
// holds one page of rows, so the browser keeps the figures true from live events by difference: exactly
// when it knew the environment before (a row it holds, or one it just created), and otherwise not at all
// (an environment on another page or hidden by a filter): then retally says so and the page asks again.
// "Running" is the dashboard's running group (groupOf), so both pages count the same way.

import { groupOf } from './dashboard-model';
import type { EnvironmentStatus } from './types/environments';

export interface EnvironmentTotals {
	all: number;
	running: number;
}

const running = (status: EnvironmentStatus) => (groupOf(status) === 'running' ? 1 : 0);

export function countTotals(envs: ReadonlyArray<{ status: EnvironmentStatus }>): EnvironmentTotals {
	let n = 0;
	for (const e of envs) n += running(e.status);
	return { all: envs.length, running: n };
}

/** What a page knew of an environment before an event: its status, `new` (it created it), or nothing. */
export type KnownBefore = EnvironmentStatus | 'new' | 'unknown';

/**
 * The totals after one environment went from `before` to `after` (`removed`: destroyed or forgotten), or
 * null when they cannot be known from here (the page reloads them). Unchanged totals come back as given.
 */
export function retally(totals: EnvironmentTotals, before: KnownBefore, after: EnvironmentStatus | 'removed'): EnvironmentTotals | null {
	if (before === 'unknown') return null;
	const all = totals.all + (before === 'new' ? 1 : 0) - (after === 'removed' ? 1 : 0);
	const run = totals.running - (before === 'new' ? 0 : running(before)) + (after === 'removed' ? 0 : running(after));
	return all === totals.all && run === totals.running ? totals : { all, running: run };
}
