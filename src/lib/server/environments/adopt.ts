// Adopting a CT that exists on the cluster but not in Spyre: a new row that points at it, sized from
// Proxmox's numbers. No job: nothing changes on Proxmox. A running CT's address goes through the one
// address step (network rule, host key pinned and verified there); until that works the row has none.

import * as audit from '../audit';
import type { AuditActor } from '../audit';
import { SpyreError } from '../errors';
import { messageOf } from '../errors';
import { getProxmox } from '../proxmox';
import { settleAddress } from './address';
import { findByHostname, findByVmid, insertEnvironment, newEnvironmentId, type EnvironmentRow } from './repo';
import { announce, set } from './state';

/** How long adopting waits for a running CT's address and SSH before leaving the row without one. */
const ADOPT_ADDRESS_MS = 20_000;

export async function adoptContainer(vmid: number, actor: AuditActor): Promise<EnvironmentRow> {
	if (!Number.isSafeInteger(vmid) || vmid < 100) throw new SpyreError('bad_request', 'vmid must be an integer >= 100.');
	const resources = await getProxmox().clusterResources();
	const live = resources.find((r) => r.vmid === vmid);
	if (!live) throw new SpyreError('not_found', `CT ${vmid} does not exist on the cluster.`);
	if (live.type !== 'lxc') throw new SpyreError('bad_request', `${vmid} is a VM; Spyre manages containers only.`);
	if (findByVmid(vmid)) throw new SpyreError('conflict', `CT ${vmid} is already managed by Spyre.`);
	const hostname = (live.name ?? `ct${vmid}`).toLowerCase();
	if (findByHostname(hostname)) throw new SpyreError('conflict', `An environment named ${hostname} already exists.`);
	let row = insertEnvironment({
		id: newEnvironmentId(),
		hostname,
		node: live.node,
		vmid,
		origin: 'adopted',
		status: live.status === 'running' ? 'running' : 'stopped',
		cores: live.maxcpu,
		memory_mb: Math.round(live.maxmem / 1024 / 1024),
		disk_gb: Math.max(1, Math.round(live.maxdisk / 1024 ** 3)),
		created_by: actor.userId ?? null
	});
	if (live.status === 'running') {
		try {
			row = (await settleAddress({ event: () => {} }, row, AbortSignal.timeout(ADOPT_ADDRESS_MS))).row;
		} catch (err) {
			row = set(row.id, { error: `No verified address yet: ${messageOf(err)}`, error_step: 'network' });
		}
	}
	audit.record(actor, 'environment.adopt', `${hostname} (CT ${vmid})`, 'success', row.ip ? null : row.error);
	announce(row);
	return row;
}
