// Phase 1 of a provision: the container, by the same steps as the quick form's create. On a retry the CT
// may already exist (a later step failed) or be gone (the create itself failed): an existing CT is started
// if needed and brought up (address, SSH); a missing one is created again.

import type { EnvironmentConfig } from '$lib/types/configs';
import * as environments from '../environments';
import type { CreateParams, CreatePlatform, EnvironmentRow } from '../environments';
import type { Run } from '../jobs';
import { getProxmox, isProxmoxError } from '../proxmox';

/** The environment layer's platform options from a resolved config. */
export function platformOf(config: EnvironmentConfig): CreatePlatform {
	const p = config.spec.platform;
	const ip = p.network.ip;
	return {
		swap: p.swap,
		storage: p.storage,
		bridge: p.network.bridge,
		network: ip === null ? undefined : ip === 'dhcp' ? 'dhcp' : { cidr: ip, ...(p.network.gw ? { gw: p.network.gw } : {}) },
		nesting: p.features.nesting,
		onboot: p.onboot,
		tags: p.tags
	};
}

export function sizesOf(config: EnvironmentConfig) {
	const p = config.spec.platform;
	return { template: p.template, cores: p.cores, memory: p.memory, disk: p.disk };
}

async function ctExists(row: EnvironmentRow, signal: AbortSignal): Promise<{ running: boolean } | null> {
	if (row.vmid === null) return null;
	try {
		const status = await getProxmox().getLxcStatus(row.node, row.vmid, { signal });
		return { running: status.status === 'running' };
	} catch (err) {
		if (isProxmoxError(err) && err.kind === 'not_found') return null;
		throw err;
	}
}

export async function runCreatePhase(
	run: Run,
	row: EnvironmentRow,
	config: EnvironmentConfig,
	fresh: CreateParams | null,
	signal: AbortSignal,
	percent: { from: number; to: number }
): Promise<EnvironmentRow> {
	const progress = environments.createProgress({ phase: 'create', ...percent });
	if (fresh) return environments.createContainer(row, fresh, run, signal, progress);
	const existing = await ctExists(row, signal);
	if (!existing) {
		run.event('status', row.vmid === null ? 'The container was never created; creating it now.' : `CT ${row.vmid} no longer exists; creating it again.`);
		const cleared = environments.changeEnvironment(row.id, { vmid: null, ip: null, status: 'creating' });
		return environments.createContainer(cleared, environments.createParamsFor(cleared, sizesOf(config), platformOf(config)), run, signal, progress);
	}
	run.step('start', `CT ${row.vmid} exists; making sure it runs`, progress('start'));
	let current = environments.changeEnvironment(row.id, { status: 'starting' });
	if (!existing.running) {
		const upid = await getProxmox().startLxc(row.node, row.vmid!, { signal });
		await environments.followTask(run, row.node, upid, signal, current);
	}
	await environments.confirmRunning(run, current, signal);
	current = environments.getEnvironment(row.id)!;
	return environments.bringUp(run, current, null, signal, progress);
}
