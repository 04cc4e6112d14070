// Start-up reconciliation after a crash or restart: every run left 'running' is marked interrupted, and
// every environment left in a transitional state is checked against Proxmox and either resumed (the CT
// is still coming up, or was being destroyed) or given its true state. Nothing is left spinning.

import { setTimeout as sleep } from 'node:timers/promises';
import * as audit from '../audit';
import type { AuditActor } from '../audit';
import { getConfig } from '../env-config';
import { messageOf } from '../errors';
import { getProxmox } from '../proxmox';
import { interruptStaleRuns, isBusy, latestRun, startJob } from '../jobs';
import type { ClusterResource } from '$lib/shared/types/proxmox';
import { BUSY_STATUSES } from '$lib/shared/types/environments';
import { destroyCt, finishDestroy } from './destroy';
import { liveStatusOr, markFailed } from './failure';
import { listEnvironments, type EnvironmentRow } from './repo';
import { set, target } from './state';
import { startAndBringUp, timings } from './steps';

const SYSTEM: AuditActor = audit.SYSTEM_ACTOR;

export async function reconcileAfterRestart(): Promise<void> {
	interruptStaleRuns();
	const stale = listEnvironments().filter((r) => BUSY_STATUSES.includes(r.status) && !isBusy(r.id));
	if (stale.length === 0) return;
	let resources: ClusterResource[];
	try {
		resources = await getProxmox().clusterResources();
	} catch (err) {
		for (const row of stale) {
			set(row.id, {
				status: 'error',
				error: `Spyre restarted while this was ${row.status}, and Proxmox could not be asked what happened: ${messageOf(err)}`,
				error_step: row.status
			});
		}
		return;
	}
	for (const row of stale) {
		const live = row.vmid === null ? undefined : resources.find((r) => r.vmid === row.vmid && r.type === 'lxc');
		if (interruptedProvision(row)) continue;
		if (!live) await settleVanished(row);
		else if (row.status === 'destroying') resumeDestroy(row, live);
		else if (row.status === 'stopping') {
			const running = live.status === 'running';
			set(row.id, { status: running ? 'running' : 'stopped', error: running ? 'Spyre restarted during the stop; the container is still running.' : null });
		} else resumeBringUp(row, live);
	}
}

/**
 * A provision cut short by the restart is not resumed on its own: its steps run commands in the CT that a
 * person may want to look at first. The environment shows the step it stopped in, and Retry resumes there
 * (re-creating or starting the CT as needed).
 */
function interruptedProvision(row: EnvironmentRow): boolean {
	const run = latestRun(row.id);
	if (!run || run.kind !== 'provision' || run.status !== 'interrupted') return false;
	const step = run.step ?? 'create';
	set(row.id, {
		status: 'error',
		error: `Spyre restarted while provisioning (step ${step}). Retry resumes from that step.`,
		error_step: step,
		current_task: null
	});
	return true;
}

/** The CT is not on Proxmox: a destroy finished, a create never got there, or the CT went away. */
async function settleVanished(row: EnvironmentRow): Promise<void> {
	if (row.status === 'destroying') {
		await finishDestroy(row, (m) => console.warn(`[spyre] reconcile: ${row.hostname}: ${m}`));
		audit.record(SYSTEM, 'environment.destroy', target(row), 'success', 'finished while Spyre was restarting');
	} else if (row.status === 'creating' || row.status === 'pending') {
		set(row.id, {
			status: 'error',
			error: 'Spyre restarted before the create finished, and Proxmox has no such container. Remove this entry and create it again.',
			error_step: 'create'
		});
	} else {
		set(row.id, { status: 'missing', error: null });
	}
}

function resumeDestroy(row: EnvironmentRow, live: ClusterResource): void {
	startJob({
		key: row.id,
		kind: 'destroy',
		actor: SYSTEM,
		action: 'environment.destroy',
		target: target(row),
		work: async (run, signal) => {
			run.event('status', 'Resuming the destroy after a Spyre restart.');
			await destroyCt(run, row, live.node, live.status === 'running', signal);
			run.step('done', `${row.hostname} is destroyed`);
			await finishDestroy(row, (m) => run.event('warning', m));
		},
		onFailure: markFailed(row.id)
	});
}

/** creating / starting / waiting_network / verifying_ssh / provisioning / pending: carry on to running. */
function resumeBringUp(row: EnvironmentRow, live: ClusterResource): void {
	const was = row.status;
	startJob({
		key: row.id,
		kind: was === 'creating' ? 'create' : 'start',
		actor: SYSTEM,
		action: 'environment.resume',
		target: target(row),
		work: async (run, signal) => {
			run.event('status', `Resuming after a Spyre restart (was ${was}).`);
			const pve = getProxmox();
			const deadline = Date.now() + getConfig().proxmox.taskTimeoutMs;
			let status = await pve.getLxcStatus(live.node, row.vmid!, { signal });
			while (status.lock === 'create' && Date.now() < deadline) {
				await sleep(timings.pollMs, undefined, { signal });
				status = await pve.getLxcStatus(live.node, row.vmid!, { signal });
			}
			await startAndBringUp(run, set(row.id, { node: live.node }), signal);
		},
		onFailure: markFailed(row.id, (r) => liveStatusOr(r, 'error'))
	});
}
