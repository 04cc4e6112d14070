// The Proxmox snapshot taken before a task (an option, on by default with bypassPermissions) and the
// rollback to it. Names are derived from the task id, so they are valid config ids (a letter first, at
// most 40 characters) and never collide.

import { getProxmox } from '../../proxmox';
import { SpyreError } from '../../errors';
import { getEnvironment } from '../../environments/repo';

function ctOf(envId: string): { node: string; vmid: number } {
	const row = getEnvironment(envId);
	if (!row || row.vmid === null) throw new SpyreError('conflict', 'This environment has no Proxmox container to snapshot.');
	return { node: row.node, vmid: row.vmid };
}

export function snapshotName(taskId: string): string {
	return `spyre_${taskId.replace(/^task-/, '').slice(0, 24)}`;
}

/** Take the snapshot and wait for its task; returns its name. */
export async function snapshotBefore(envId: string, taskId: string): Promise<string> {
	const { node, vmid } = ctOf(envId);
	const name = snapshotName(taskId);
	const pve = getProxmox();
	const upid = await pve.createSnapshot(node, vmid, name, { description: `Before Claude task ${taskId}` });
	await pve.waitForTask(node, upid);
	return name;
}

/** Roll back and start the CT again; waits for the Proxmox task. */
export async function rollbackTo(envId: string, name: string): Promise<void> {
	const { node, vmid } = ctOf(envId);
	const pve = getProxmox();
	const upid = await pve.rollbackSnapshot(node, vmid, name, { start: true });
	await pve.waitForTask(node, upid);
}
