// The idle and schedule sweeper: once a minute, for every environment, gather the facts (row status, a job
// on it, activity held and last seen, its lifecycle), let decide.ts choose, and act through the environments'
// own start and graceful stop jobs (audited as Spyre with the reason, and told to the owner as a notice once
// done).
// It never stops an environment with activity or with a job on it; the clock is injected.

import { SYSTEM_ACTOR } from '../audit';
import { getConfig } from '../env-config';
import { messageOf } from '../errors';
import { startEnvironment, stopEnvironment } from '../environments/power';
import { getEnvironment, listEnvironments } from '../environments/repo';
import * as jobs from '../jobs';
import { announce, lifecycleNotice } from '../notify/notices';
import type { Activity, Clock } from './activity';
import { decide, type Decision } from './decide';
import * as store from './store';

export interface SweepAction {
	envId: string;
	hostname: string;
	decision: Exclude<Decision, { action: 'none' }>;
	/** The start or stop job could not begin (the message), else null. */
	error: string | null;
}

/** One sweep over every environment for the span (from, now]; returns what it started. */
export function sweepOnce(activity: Activity, from: number, now: number): SweepAction[] {
	const defaults = getConfig().lifecycle.idleStopMinutes;
	const lifecycles = store.allLifecycles();
	const acted: SweepAction[] = [];
	for (const row of listEnvironments()) {
		const lc = lifecycles.get(row.id);
		if (row.status !== 'running') activity.restart(row.id);
		const decision = decide(
			{
				status: row.status,
				busy: jobs.isBusy(row.id),
				held: activity.held(row.id),
				lastActivity: activity.lastActivity(row.id),
				idleStopMinutes: lc?.idleStopMinutes ?? defaults,
				schedule: lc?.schedule ?? []
			},
			from,
			now
		);
		if (decision.action === 'none') continue;
		acted.push({ envId: row.id, hostname: row.hostname, decision, error: act(row, decision) });
	}
	return acted;
}

function act(row: { id: string; hostname: string }, d: Exclude<Decision, { action: 'none' }>): string | null {
	try {
		if (d.action === 'stop') {
			stopEnvironment(row.id, SYSTEM_ACTOR, { detail: d.detail, stoppedBy: d.reason });
		} else {
			startEnvironment(row.id, SYSTEM_ACTOR, { detail: d.detail });
		}
		// Told once it happened: a stop that failed is the run's error on the environment page, not "stopped".
		const wanted = d.action === 'stop' ? 'stopped' : 'running';
		void jobs.settled(row.id).then(() => {
			if (getEnvironment(row.id)?.status === wanted) announce(lifecycleNotice(row, d.action, d.detail));
		});
		return null;
	} catch (err) {
		console.error(`[spyre] lifecycle: could not ${d.action} ${row.hostname} (${d.detail}):`, messageOf(err));
		return messageOf(err);
	}
}

/** The background service: a sweep every `intervalMs`, each over the span since the one before. */
export function startSweeper(activity: Activity, clock: Clock, intervalMs: number): () => void {
	let from = clock.now();
	const timer = setInterval(() => {
		const now = clock.now();
		try {
			sweepOnce(activity, from, now);
		} catch (err) {
			console.error('[spyre] lifecycle sweep failed:', messageOf(err));
		}
		from = now;
	}, intervalMs);
	timer.unref();
	return () => clearInterval(timer);
}
