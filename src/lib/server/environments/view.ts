// The one mapping from an environments row to what browsers see. With Proxmox's live resource it merges
// live state (sizes, metrics, running/stopped); without it (a live push right after Spyre changed the row)
// the row's own status stands and the live fields stay empty until the next list load.

import { BUSY_STATUSES, type EnvironmentView } from '$lib/shared/types/environments';
import type { ClusterResource } from '$lib/shared/types/proxmox';
import type { EnvironmentRow } from './repo';

/**
 * `proxmoxKnown` says whether Proxmox was asked: when it was and the CT is absent, the row is missing;
 * when it could not be asked, the state is unknown. Leave it out to trust the row as it is.
 */
export function toView(row: EnvironmentRow, live?: ClusterResource, proxmoxKnown?: boolean): EnvironmentView {
	const status = proxmoxKnown === undefined ? row.status : mergedStatus(row, live, proxmoxKnown);
	return {
		id: row.id,
		hostname: row.hostname,
		node: live?.node ?? row.node,
		vmid: row.vmid,
		origin: row.origin,
		status,
		liveStatus: live ? live.status : null,
		ip: row.ip,
		template: row.template,
		cores: live?.maxcpu ?? row.cores,
		memoryMb: live ? Math.round(live.maxmem / 1024 / 1024) : row.memory_mb,
		diskGb: live ? Math.round(live.maxdisk / 1024 ** 3) : row.disk_gb,
		cpu: live?.cpu ?? null,
		memUsed: live?.mem ?? null,
		uptime: live?.uptime ?? null,
		lock: live?.lock ?? null,
		error: row.error,
		errorStep: row.error_step,
		hostKeyPinned: row.host_key_fingerprint !== null,
		stoppedBy: status === 'stopped' ? (row.stopped_by ?? null) : null,
		attemptSetId: row.attempt_set_id ?? null,
		createdAt: row.created_at,
		updatedAt: row.updated_at
	};
}

/** While Spyre is busy with a row, or it failed, the row is the truth; otherwise Proxmox is. */
function mergedStatus(row: EnvironmentRow, live: ClusterResource | undefined, proxmoxKnown: boolean): EnvironmentView['status'] {
	if (BUSY_STATUSES.includes(row.status) || row.status === 'error') return row.status;
	if (live) return live.status === 'running' ? 'running' : live.status === 'stopped' ? 'stopped' : 'unknown';
	if (proxmoxKnown && row.vmid !== null) return 'missing';
	if (!proxmoxKnown) return 'unknown';
	return row.status;
}

/** The row as Spyre knows it, for live pushes. Same mapping as toView; kept under the name callers use. */
export function rowView(row: EnvironmentRow): EnvironmentView {
	return toView(row);
}
