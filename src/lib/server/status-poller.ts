// One /cluster/resources call every 30 s: diffs live state against Spyre's rows, records what changed
// outside Spyre (a CT stopped from the Proxmox UI, a CT that vanished or came back), and tells open
// browsers when the cluster's inventory changed so they reload the list. Never one call per CT.

import { getProxmox } from './proxmox';
import { messageOf } from './errors';
import * as events from './events';
import { singleton } from './singleton';
import { updateEnvironment } from './environments/repo';
import { allRows } from './environments/rows-cache';
import { isBusy, rowView } from './environments/lifecycle';
import { BUSY_STATUSES } from '$lib/types/environments';
import type { ClusterResource } from '$lib/types/proxmox';

export const POLL_INTERVAL_MS = 30_000;

const poller = singleton('status-poller', () => ({
	timer: null as NodeJS.Timeout | null,
	lastSignature: '',
	lastError: null as string | null,
	polls: 0,
	/** CPU time (user + system, on this process) of the last completed poll, in ms. */
	lastCpuMs: 0,
	lastRows: 0
}));

// SPYRE_POLL_STATS=1 logs each poll's CPU cost: the benchmark reads it from the built server's output.
const logStats = process.env.SPYRE_POLL_STATS === '1';

function signature(resources: ClusterResource[]): string {
	return resources
		.map((r) => `${r.type}/${r.vmid}@${r.node}:${r.status}:${r.name ?? ''}:${r.lock ?? ''}`)
		.sort()
		.join('|');
}

/** One poll. Exported for tests and the benchmark. */
export async function pollOnce(): Promise<void> {
	// process.cpuUsage counts the whole process, so a page served during the poll's await counts too;
	// the benchmark polls an otherwise idle server.
	const cpu = process.cpuUsage();
	try {
		await poll();
	} finally {
		const used = process.cpuUsage(cpu);
		poller.lastCpuMs = (used.user + used.system) / 1000;
		if (logStats) console.log(`[spyre] status poll: ${poller.lastRows} rows, ${poller.lastCpuMs.toFixed(2)} ms CPU`);
	}
}

async function poll(): Promise<void> {
	poller.polls++;
	let resources: ClusterResource[];
	try {
		resources = await getProxmox().clusterResources();
	} catch (err) {
		const message = messageOf(err);
		if (message !== poller.lastError) events.publish('proxmox.status', { ok: false, error: message });
		poller.lastError = message;
		return;
	}
	if (poller.lastError !== null) events.publish('proxmox.status', { ok: true, error: null });
	poller.lastError = null;

	const byVmid = new Map(resources.filter((r) => r.type === 'lxc').map((r) => [r.vmid, r]));
	const rows = allRows();
	poller.lastRows = rows.length;
	for (const row of rows) {
		if (row.vmid === null || isBusy(row.id) || BUSY_STATUSES.includes(row.status)) continue;
		const live = byVmid.get(row.vmid);
		let next = row.status;
		if (!live) next = row.status === 'error' ? 'error' : 'missing';
		else if (live.status === 'running' && row.status !== 'error') next = 'running';
		else if (live.status === 'stopped' && row.status !== 'error') next = 'stopped';
		if (next !== row.status || (live && live.node !== row.node)) {
			const updated = updateEnvironment(row.id, { status: next, node: live?.node ?? row.node });
			if (updated) events.publish('env.updated', { environment: rowView(updated) });
		}
	}
	const sig = signature(resources);
	if (sig !== poller.lastSignature) {
		if (poller.lastSignature !== '') events.publish('inventory.changed', { at: Date.now() });
		poller.lastSignature = sig;
	}
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

export function pollerStats(): { polls: number; lastError: string | null; lastCpuMs: number } {
	return { polls: poller.polls, lastError: poller.lastError, lastCpuMs: poller.lastCpuMs };
}
