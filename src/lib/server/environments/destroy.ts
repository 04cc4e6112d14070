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

/** Stop (if running) and destroy the CT on `node`, then remove the row. Shared with the restart resume. */
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
			void ssh.getSshPool().close(row.id).catch(() => {});
			// Take its service routes out of Caddy; a failure is retried on the proxy manager's next tick.
			await import('../proxy-manager')
				.then((proxy) => proxy.servicesRemoved(row.id))
				.catch((err) => run.event('warning', `Service routes were not removed yet: ${(err as Error).message}`));
			run.step('done', `${row.hostname} is destroyed`);
			removed(row);
		},
		onFailure: markFailed(row.id)
	});
	return getEnvironment(id)!;
}
