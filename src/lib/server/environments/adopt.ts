// Adopting a CT that exists on the cluster but not in Spyre: a new row that points at it, sized from
// Proxmox's numbers. No job: nothing changes on Proxmox.

import * as audit from '../audit';
import type { AuditActor } from '../audit';
import { SpyreError } from '../errors';
import { getProxmox, interfacesToIp } from '../proxmox';
import { findByHostname, findByVmid, insertEnvironment, newEnvironmentId, type EnvironmentRow } from './repo';
import { announce } from './state';

export async function adoptContainer(vmid: number, actor: AuditActor): Promise<EnvironmentRow> {
	if (!Number.isSafeInteger(vmid) || vmid < 100) throw new SpyreError('bad_request', 'vmid must be an integer >= 100.');
	const resources = await getProxmox().clusterResources();
	const live = resources.find((r) => r.vmid === vmid);
	if (!live) throw new SpyreError('not_found', `CT ${vmid} does not exist on the cluster.`);
	if (live.type !== 'lxc') throw new SpyreError('bad_request', `${vmid} is a VM; Spyre manages containers only.`);
	if (findByVmid(vmid)) throw new SpyreError('conflict', `CT ${vmid} is already managed by Spyre.`);
	const hostname = (live.name ?? `ct${vmid}`).toLowerCase();
	if (findByHostname(hostname)) throw new SpyreError('conflict', `An environment named ${hostname} already exists.`);
	let ip: string | null = null;
	if (live.status === 'running') {
		try {
			ip = interfacesToIp(await getProxmox().getLxcInterfaces(live.node, vmid));
		} catch {
			ip = null;
		}
	}
	const row = insertEnvironment({
		id: newEnvironmentId(),
		hostname,
		node: live.node,
		vmid,
		origin: 'adopted',
		status: live.status === 'running' ? 'running' : 'stopped',
		cores: live.maxcpu,
		memory_mb: Math.round(live.maxmem / 1024 / 1024),
		disk_gb: Math.max(1, Math.round(live.maxdisk / 1024 ** 3)),
		ip,
		created_by: actor.userId ?? null
	});
	audit.record(actor, 'environment.adopt', `${hostname} (CT ${vmid})`, 'success');
	announce(row);
	return row;
}
