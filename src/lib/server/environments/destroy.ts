// Destroying an environment: stop the CT if it runs, destroy it on whichever node it now lives, then
// forget the row. A row whose CT is already gone is simply removed, so failed creates can be cleaned up.

import type { AuditActor } from '../audit';
import { getProxmox } from '../proxmox';
import * as ssh from '../ssh';
import { startJob, type Run } from '../jobs';
import { markFailed } from './failure';
import { getEnvironment, type EnvironmentRow } from './repo';
import { removed, requireRow, set, target } from './state';
import { followTask, stopCt } from './steps';

/**
 * The one end of every destroy (a normal one, one resumed after a restart, one Proxmox finished while Spyre
 * was down): close the environment's SSH connections, take its service routes out of Caddy, forget the
 * row. A route left behind would keep sending a service URL to an address another CT may get next.
 */
export async function finishDestroy(row: EnvironmentRow, warn: (message: string) => void): Promise<void> {
	await ssh
		.getSshPool()
		.close(row.id)
		.catch(() => {});
	// A failed route update is retried on the proxy manager's next tick.
	await import('../proxy').then((proxy) => proxy.servicesRemoved(row.id)).catch((err) => warn(`Service routes were not removed yet: ${(err as Error).message}`));
	removed(row);
}

/** Stop (if running) and destroy the CT on `node`. Shared with the restart resume. */
export async function destroyCt(run: Run, row: EnvironmentRow, node: string, running: boolean, signal: AbortSignal): Promise<void> {
	if (running) await stopCt(run, { ...row, node }, signal);
	run.step('destroy', `Destroying CT ${row.vmid}`);
	const upid = await getProxmox().destroyLxc(node, row.vmid!, { signal });
	await followTask(run, node, upid, signal, row);
}

export function destroyEnvironment(id: string, actor: AuditActor): EnvironmentRow {
	const row = requireRow(id);
	startJob({
		key: row.id,
		kind: 'destroy',
		actor,
		action: 'environment.destroy',
		target: target(row),
		work: async (run, signal) => {
			set(row.id, { status: 'destroying', error: null, error_step: null });
			if (row.vmid !== null) {
				const resources = await getProxmox().clusterResources({ signal });
				const live = resources.find((r) => r.vmid === row.vmid && r.type === 'lxc');
				if (live) await destroyCt(run, row, live.node, live.status === 'running', signal);
				else run.event('status', `CT ${row.vmid} no longer exists on Proxmox; removing Spyre's record.`);
			}
			run.step('done', `${row.hostname} is destroyed`);
			await finishDestroy(row, (m) => run.event('warning', m));
		},
		onFailure: markFailed(row.id)
	});
	return getEnvironment(id)!;
}
