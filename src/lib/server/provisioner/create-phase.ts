// Phase 1 of a provision: the container, by the same steps as the quick form's create. On a retry the CT
// may already exist (a later step failed) or be gone (the create itself failed): an existing CT is started
// if needed and brought up (address, SSH); a missing one is created again.

import type { EnvironmentConfig } from '$lib/shared/types/configs';
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

async function ctExists(row: EnvironmentRow, signal: AbortSignal): Promise<boolean> {
	if (row.vmid === null) return false;
	try {
		await getProxmox().getLxcStatus(row.node, row.vmid, { signal });
		return true;
	} catch (err) {
		if (isProxmoxError(err) && err.kind === 'not_found') return false;
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
		// The environment keeps the template it was created from (the provision may have chosen another than the config's).
		const sizes = { ...sizesOf(config), template: row.template ?? sizesOf(config).template };
		return environments.createContainer(cleared, environments.createParamsFor(cleared, sizes, platformOf(config)), run, signal, progress);
	}
	return environments.startAndBringUp(run, row, signal, { label: `CT ${row.vmid} exists; making sure it runs`, progress });
}
