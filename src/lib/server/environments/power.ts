// Starting and stopping an environment's CT as background jobs. Start ends only when SSH works again
// (the address may change across a restart); stop tries a graceful shutdown before a hard stop.

import type { AuditActor } from '../audit';
import { getProxmox } from '../proxmox';
import { startJob } from '../jobs';
import { liveStatusOr, markFailed } from './failure';
import { getEnvironment, type EnvironmentRow } from './repo';
import { requireRow, requireVmid, set, target } from './state';
import { bringUp, followTask, stopCt } from './steps';

export function startEnvironment(id: string, actor: AuditActor): EnvironmentRow {
	const row = requireRow(id);
	const vmid = requireVmid(row);
	startJob({
		key: row.id,
		kind: 'start',
		actor,
		action: 'environment.start',
		target: target(row),
		work: async (run, signal) => {
			const current = set(row.id, { status: 'starting', error: null, error_step: null });
			run.step('start', `Starting CT ${vmid}`);
			const status = await getProxmox().getLxcStatus(row.node, vmid, { signal });
			if (status.status !== 'running') {
				const upid = await getProxmox().startLxc(row.node, vmid, { signal });
				await followTask(run, row.node, upid, signal, current);
			} else {
				run.event('status', 'The container is already running.');
			}
			await bringUp(run, getEnvironment(row.id)!, null, signal);
		},
		onFailure: markFailed(row.id, (r) => liveStatusOr(r, 'error'))
	});
	return getEnvironment(id)!;
}

export function stopEnvironment(id: string, actor: AuditActor): EnvironmentRow {
	const row = requireRow(id);
	requireVmid(row);
	startJob({
		key: row.id,
		kind: 'stop',
		actor,
		action: 'environment.stop',
		target: target(row),
		work: async (run, signal) => {
			set(row.id, { status: 'stopping', error: null, error_step: null });
			await stopCt(run, row, signal);
			set(row.id, { status: 'stopped', current_task: null });
			run.step('done', `${row.hostname} is stopped`);
		},
		onFailure: markFailed(row.id, (r) => liveStatusOr(r, 'error'))
	});
	return getEnvironment(id)!;
}
