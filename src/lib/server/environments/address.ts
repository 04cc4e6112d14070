// The one step that decides and stores an environment's address (create, start, restart resume, adopt and
// the provisioner all come here). An address a CT reports comes from inside the CT, so it is hostile
// input: it is used only if it is the CT's configured static address (Proxmox's net0 `ip=`, set by Spyre,
// which nothing inside the CT can change) or a DHCP address inside `proxmox.network.cidr` — never
// loopback, link-local or multicast — and it is STORED only after the environment's pinned SSH host key
// answered at it. Caddy upstreams and health probes read only the stored address, so they follow only
// verified addresses. This module never trusts `/interfaces` for anything but a candidate.

import { setTimeout as sleep } from 'node:timers/promises';
import { environmentAddressProblem, formatNetwork, parseCidr, type Ipv4Network } from '$lib/shared/validation/ipv4';
import { getDb } from '../db';
import { getConfig } from '../env-config';
import { SpyreError, messageOf } from '../errors';
import { getProxmox, parsePropertyString } from '../proxmox';
import type { Run } from '../jobs';
import * as ssh from '../ssh';
import { HostKeyChangedError } from '../ssh/host-keys';
import { getEnvironment, listEnvironments, type EnvironmentRow } from './repo';
import { set } from './state';
import { timings } from './timings';

/** Where the step reports what it does: a job's run, or nothing (adopt runs outside a job). */
export type Reporter = Pick<Run, 'event'>;

/** Statuses in which another environment's claim on an address still counts (its CT may be at it). */
const RELEASED: ReadonlySet<EnvironmentRow['status']> = new Set(['stopped', 'missing']);

/** The static address in a CT's net0 (`…,ip=10.0.0.5/24,…`) with its network, or null (DHCP, none). */
export function staticAddressOf(net0: string | undefined): { address: string; network: Ipv4Network } | null {
	const network = net0 ? parseCidr(parsePropertyString(net0, 'name').ip) : null;
	return network ? { address: network.address, network } : null;
}

/** The network DHCP addresses must lie in, from environment.yaml. */
export function configuredNetwork(): Ipv4Network {
	return parseCidr(getConfig().proxmox.network.cidr)!;
}

/**
 * Why `ip` may not become `envId`'s address, or null. `holders` are the other rows (an address a live
 * environment holds is never handed to another: its CT could be impersonated).
 */
export function addressRefusal(ip: string, network: Ipv4Network, envId: string, holders: readonly Pick<EnvironmentRow, 'id' | 'hostname' | 'ip' | 'status'>[]): string | null {
	const problem = environmentAddressProblem(ip, network);
	if (problem) return problem;
	const holder = holders.find((r) => r.id !== envId && r.ip === ip && !RELEASED.has(r.status));
	return holder ? `is the address of environment ${holder.hostname}` : null;
}

/** The address candidate: the configured static one, or the first acceptable DHCP address the CT reports. */
export async function candidateAddress(run: Reporter, row: EnvironmentRow, signal: AbortSignal): Promise<string> {
	const pve = getProxmox();
	const config = await pve.getLxcConfig(row.node, row.vmid!, { signal });
	const fixed = staticAddressOf(config.net0);
	if (fixed) {
		const why = addressRefusal(fixed.address, fixed.network, row.id, listEnvironments());
		if (why) throw new SpyreError('conflict', `The static address ${fixed.address} of CT ${row.vmid} ${why}; it was not used.`);
		run.event('status', `Using the static address ${fixed.address}.`);
		return fixed.address;
	}
	const network = configuredNetwork();
	const ip = await pve.waitForIp(row.node, row.vmid!, { signal, accept: (a) => addressRefusal(a, network, row.id, listEnvironments()) });
	run.event('status', `The container reports the address ${ip} (inside ${formatNetwork(network)}); checking its host key there.`);
	return ip;
}

/** Spyre's SSH key works at `ip` and the host key there is the pinned one (pinned now on first use). */
async function verifyAt(run: Reporter, row: EnvironmentRow, ip: string, signal: AbortSignal): Promise<void> {
	const deadline = Date.now() + timings.sshVerifyMs;
	let attempt = 0;
	for (;;) {
		try {
			await ssh.verifySsh({ envId: row.id, host: ip });
			run.event('status', `SSH works at ${ip} with Spyre's key; the host key is the pinned one.`);
			return;
		} catch (err) {
			if (err instanceof HostKeyChangedError) {
				throw new SpyreError(
					'ssh_host_key',
					`The container reported the address ${ip}, but the SSH host key there (${err.presented}) is not this environment's ` +
						`(${err.pinned}). The address was refused and not stored; ${row.ip ? `${row.ip} stays its address` : 'it has no address'}. ` +
						'If the container was rebuilt, re-trust its host key; otherwise something in it is pointing Spyre elsewhere.',
					{ cause: err, fields: { fingerprint: err.presented } }
				);
			}
			const retryable = err instanceof SpyreError && (err.code === 'ssh' || err.code === 'timeout');
			if (!retryable || Date.now() > deadline) throw err;
			if (attempt++ === 0) run.event('status', `SSH not ready yet at ${ip} (${messageOf(err)}); retrying.`);
			await sleep(Math.min(500 * attempt, 3000), undefined, { signal });
		}
	}
}

/** Store a verified address: stale claims on it (stopped or missing rows) are dropped in the same transaction. */
function store(row: EnvironmentRow, ip: string): EnvironmentRow {
	const db = getDb();
	const stale = db.transaction(() => {
		const others = db.prepare(`SELECT id FROM environments WHERE ip = ? AND id <> ? AND status IN ('stopped', 'missing')`).all(ip, row.id) as { id: string }[];
		for (const o of others) set(o.id, { ip: null });
		return others.length;
	})();
	const changed = getEnvironment(row.id)?.ip !== ip || stale > 0;
	const updated = set(row.id, { ip });
	if (changed) {
		// Caddy's upstreams follow the stored address: recompute them now (a failure is retried on the next tick).
		void import('../proxy').then((proxy) => proxy.applyRoutes()).catch((err) => console.error('[spyre] proxy: routes not updated after an address change:', messageOf(err)));
	}
	return updated;
}

/** The second half of the step: the pinned host key answers at `ip` (retried while sshd starts), then store it. */
export async function verifyAndStore(run: Reporter, row: EnvironmentRow, ip: string, signal: AbortSignal): Promise<EnvironmentRow> {
	await verifyAt(run, row, ip, signal);
	return store(row, ip);
}

/**
 * THE address step: candidate (static, or DHCP inside the network), refused if another live environment
 * holds it, host key verified at it, then stored. Throws SpyreError ('conflict' for a refused address,
 * 'ssh_host_key', 'ssh', 'timeout', …) with a message that says why; on any failure the stored address is
 * left as it was. `bringUp` runs the two halves as its `network` and `ssh` steps.
 */
export async function settleAddress(run: Reporter, row: EnvironmentRow, signal: AbortSignal): Promise<{ row: EnvironmentRow; ip: string }> {
	const ip = await candidateAddress(run, row, signal);
	return { row: await verifyAndStore(run, row, ip, signal), ip };
}
