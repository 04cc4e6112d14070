// One /cluster/resources call every 30 s: diffs live state against Spyre's rows, records what changed
// outside Spyre (a CT stopped from the Proxmox UI, a CT that vanished or came back), and tells open
// browsers when the cluster's inventory changed so they reload the list. Never one call per CT.
// At 1,000 CTs the call (request, JSON parse, validation) is nearly all of a poll's CPU: a quiet poll then
// only walks the cached rows, builds no view, writes nothing and publishes nothing; changed rows are written
// in one transaction and pushed in one more (environments/live-status.ts decides what changed).

import { getProxmox } from '../proxmox';
import { messageOf } from '../errors';
import * as events from '../events';
import { singleton } from '../singleton';
import { updateStatuses } from './repo';
import { allRows } from './rows-cache';
import { containersByVmid, sameGuests, statusChanges } from './live-status';
import { toView } from './view';
import { isBusy } from '../jobs';
import type { ClusterResource } from '$lib/shared/types/proxmox';

export const POLL_INTERVAL_MS = 30_000;

const poller = singleton('status-poller', () => ({
	timer: null as NodeJS.Timeout | null,
	/** The last answer, to tell whether the guest list changed (null until the first answer). */
	lastResources: null as readonly ClusterResource[] | null,
	lastError: null as string | null,
	polls: 0,
	/** CPU time (user + system, on this process) of the last completed poll, in ms. */
	lastCpuMs: 0,
	/** The part of it spent in the /cluster/resources call (request, JSON parse, validation). */
	lastCallCpuMs: 0,
	lastRows: 0,
	lastChanged: 0
}));

// SPYRE_POLL_STATS=1 logs each poll's CPU cost: the benchmark reads it from the built server's output.
const logStats = process.env.SPYRE_POLL_STATS === '1';

const cpuMs = (since: NodeJS.CpuUsage) => {
	const used = process.cpuUsage(since);
	return (used.user + used.system) / 1000;
};

/** One poll. Exported for tests and the benchmark. */
export async function pollOnce(): Promise<void> {
	// process.cpuUsage counts the whole process, so a page served during the poll's await counts too;
	// the benchmark polls an otherwise idle server.
	const cpu = process.cpuUsage();
	poller.lastCallCpuMs = 0;
	poller.lastChanged = 0;
	try {
		await poll();
	} finally {
		poller.lastCpuMs = cpuMs(cpu);
		if (logStats) {
			console.log(`[spyre] status poll: ${poller.lastRows} rows, ${poller.lastChanged} changed, ${poller.lastCpuMs.toFixed(2)} ms CPU ` + `(Proxmox call ${poller.lastCallCpuMs.toFixed(2)})`);
		}
	}
}

async function poll(): Promise<void> {
	poller.polls++;
	let resources: ClusterResource[];
	const callCpu = process.cpuUsage();
	try {
		resources = await getProxmox().clusterResources();
	} catch (err) {
		const message = messageOf(err);
		if (message !== poller.lastError) events.publish('proxmox.status', { ok: false, error: message });
		poller.lastError = message;
		return;
	} finally {
		poller.lastCallCpuMs = cpuMs(callCpu);
	}
	if (poller.lastError !== null) events.publish('proxmox.status', { ok: true, error: null });
	poller.lastError = null;

	// From here to the end nothing awaits: no job can start or finish between the diff and the writes.
	const rows = allRows();
	poller.lastRows = rows.length;
	const changes = statusChanges(rows, containersByVmid(resources), isBusy);
	// Views are built and pushed only for the rows that changed: one commit for the rows, one for their events.
	const updated = updateStatuses(changes);
	events.publishAll(
		'env.updated',
		updated.map((row) => ({ environment: toView(row) }))
	);
	poller.lastChanged = updated.length;

	const before = poller.lastResources;
	poller.lastResources = resources;
	if (before && !sameGuests(before, resources)) events.publish('inventory.changed', { at: Date.now() });
}

export function startPoller(intervalMs = POLL_INTERVAL_MS): void {
	if (poller.timer) return;
	poller.timer = setInterval(() => void pollOnce().catch((e) => console.error('[spyre] status poll failed:', messageOf(e))), intervalMs);
	poller.timer.unref();
}

export function stopPoller(): void {
	if (poller.timer) clearInterval(poller.timer);
	poller.timer = null;
}

export function pollerStats(): { polls: number; lastError: string | null; lastCpuMs: number; lastCallCpuMs: number; lastChanged: number } {
	return { polls: poller.polls, lastError: poller.lastError, lastCpuMs: poller.lastCpuMs, lastCallCpuMs: poller.lastCallCpuMs, lastChanged: poller.lastChanged };
}
