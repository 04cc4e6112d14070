// What a failed (or cancelled) job leaves on its environment: status, the error and the step it failed
// in. The status is Proxmox's truth where it can be asked, so a failed start of a stopped CT says stopped.

import { messageOf } from '../errors';
import { getProxmox, isProxmoxError } from '../proxmox';
import type { Run } from '../jobs';
import { getEnvironment, type EnvironmentRow } from './repo';
import { set } from './state';

export type FailureChanges = { status: EnvironmentRow['status']; vmid?: null };
export type FailurePolicy = (row: EnvironmentRow) => Promise<FailureChanges> | FailureChanges;

/** An `onFailure` for startJob: records the error on the row (status 'error' unless `policy` says otherwise). */
export function markFailed(envId: string, policy?: FailurePolicy): (err: unknown, run: Run) => Promise<void> {
	return async (err, run) => {
		const current = getEnvironment(envId);
		if (!current) return;
		const changes = policy ? await policy(current) : { status: 'error' as const };
		set(envId, { ...changes, error: messageOf(err), error_step: run.currentStep ?? run.kind, current_task: null });
	};
}

/** The CT's live running/stopped state, or `fallback` when Proxmox cannot say. */
export async function liveStatusOr(row: EnvironmentRow, fallback: EnvironmentRow['status']): Promise<FailureChanges> {
	if (row.vmid === null) return { status: fallback };
	try {
		const s = await getProxmox().getLxcStatus(row.node, row.vmid);
		return { status: s.status === 'running' ? 'running' : s.status === 'stopped' ? 'stopped' : fallback };
	} catch {
		return { status: fallback };
	}
}

/** After a failed create: forget the VMID when Proxmox has already removed the CT (a failed vzcreate does). */
export async function afterFailedCreate(row: EnvironmentRow): Promise<FailureChanges> {
	if (row.vmid === null) return { status: 'error' };
	try {
		await getProxmox().getLxcStatus(row.node, row.vmid);
		return { status: 'error' };
	} catch (err) {
		return isProxmoxError(err) && err.kind === 'not_found' ? { status: 'error', vmid: null } : { status: 'error' };
	}
}
