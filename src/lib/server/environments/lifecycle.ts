// The environment lifecycle: create, start, stop, destroy, adopt, and the start-up reconciliation after a
// crash. Each action runs as a background job (one per environment at a time) that survives a closed
// browser tab, records every step and Proxmox log line in provision_runs/provision_events, pushes them
// live over /api/events, and leaves a truthful status in the DB when it ends or when Spyre restarts.
// Proxmox is the truth for live state; this module never guesses it.

import * as audit from '../audit';
import type { AuditActor } from '../audit';
import { getConfig } from '../env-config';
import { SpyreError, messageOf } from '../errors';
import * as events from '../events';
import { getProxmox, interfacesToIp, isProxmoxError } from '../proxmox';
import { singleton } from '../singleton';
import * as ssh from '../ssh-pool';
import type { CreateLxcParams } from '$lib/types/proxmox';
import type { EnvironmentView } from '$lib/types/environments';
import { BUSY_STATUSES } from '$lib/types/environments';
import { getNodes } from './inventory';
import { nextFreeAddress } from './ip-pool';
import {
	deleteEnvironment,
	findByHostname,
	findByVmid,
	getEnvironment,
	insertEnvironment,
	listEnvironments,
	newEnvironmentId,
	updateEnvironment,
	type EnvironmentRow
} from './repo';
import { interruptStaleRuns, startRun, type Run, type RunKind } from './runs';
import { validateCreate } from './validate';

interface Job {
	kind: RunKind;
	abort: AbortController;
	done: Promise<void>;
}

const jobs = singleton('environments.jobs', () => new Map<string, Job>());

/** Tunables, so tests can shorten waits. */
export const timings = {
	startConfirmMs: 30_000,
	sshVerifyMs: 60_000,
	shutdownTimeoutS: 30,
	pollMs: 500
};

// ---------------------------------------------------------------------------------------------------
// Views and events

/** The row as Spyre knows it, for live pushes (live metrics arrive with the next list load). */
export function rowView(row: EnvironmentRow): EnvironmentView {
	return {
		id: row.id,
		hostname: row.hostname,
		node: row.node,
		vmid: row.vmid,
		origin: row.origin,
		status: row.status,
		liveStatus: null,
		ip: row.ip,
		template: row.template,
		cores: row.cores,
		memoryMb: row.memory_mb,
		diskGb: row.disk_gb,
		cpu: null,
		memUsed: null,
		uptime: null,
		lock: null,
		error: row.error,
		errorStep: row.error_step,
		hostKeyPinned: row.host_key_fingerprint !== null,
		createdAt: row.created_at,
		updatedAt: row.updated_at
	};
}

function set(id: string, changes: Parameters<typeof updateEnvironment>[1]): EnvironmentRow {
	const row = updateEnvironment(id, changes);
	if (!row) throw new SpyreError('not_found', `Environment ${id} no longer exists.`);
	events.publish('env.updated', { environment: rowView(row) });
	return row;
}

function removed(row: EnvironmentRow): void {
	deleteEnvironment(row.id);
	events.publish('env.removed', { id: row.id, hostname: row.hostname });
}

export function isBusy(id: string): boolean {
	return jobs.has(id);
}

/** Resolves when the environment's current job (if any) has finished. For tests and shutdown. */
export async function settled(id: string): Promise<void> {
	await jobs.get(id)?.done;
}

export async function settleAll(): Promise<void> {
	await Promise.allSettled([...jobs.values()].map((j) => j.done));
}

// ---------------------------------------------------------------------------------------------------
// Jobs

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve, reject) => {
		if (signal?.aborted) return reject(signal.reason);
		const t = setTimeout(resolve, ms);
		signal?.addEventListener(
			'abort',
			() => {
				clearTimeout(t);
				reject(signal.reason);
			},
			{ once: true }
		);
	});
}

type FailureChanges = { status: EnvironmentRow['status']; vmid?: null };

interface JobFailurePolicy {
	/** What to record when the job fails; by default status 'error'. */
	onFailure?: (row: EnvironmentRow) => Promise<FailureChanges> | FailureChanges;
}

function runJob(
	row: EnvironmentRow,
	kind: RunKind,
	actor: AuditActor,
	action: string,
	work: (run: Run, signal: AbortSignal) => Promise<void>,
	policy: JobFailurePolicy = {}
): void {
	if (jobs.has(row.id)) {
		throw new SpyreError('conflict', `${row.hostname} is busy (${jobs.get(row.id)!.kind}); wait for it to finish.`);
	}
	const run = startRun(row.id, kind, actor.userId ?? null);
	const abort = new AbortController();
	const done = (async () => {
		try {
			await work(run, abort.signal);
			run.finish('succeeded');
			audit.record(actor, action, `${row.hostname} (${row.id})`, 'success');
		} catch (err) {
			const message = messageOf(err);
			try {
				run.event('error', message);
				run.finish('failed', message);
				const current = getEnvironment(row.id);
				if (current) {
					const changes = policy.onFailure ? await policy.onFailure(current) : { status: 'error' as const };
					set(row.id, { ...changes, error: message, error_step: run.currentStep ?? run.kind, current_task: null });
				}
			} catch (recordErr) {
				console.error('[spyre] could not record a failed job:', messageOf(recordErr));
			}
			audit.record(actor, action, `${row.hostname} (${row.id})`, 'failure', message);
		} finally {
			jobs.delete(row.id);
		}
	})();
	jobs.set(row.id, { kind, abort, done });
}


async function followTask(run: Run, node: string, upid: string, signal: AbortSignal, row: EnvironmentRow): Promise<void> {
	set(row.id, { current_task: upid });
	await getProxmox().waitForTask(node, upid, {
		signal,
		onLog: (line) => run.event('log', line.t)
	});
	set(row.id, { current_task: null });
}

/** Confirm a CT reached `running` (create's start=1 runs a separate task whose end we cannot see). */
async function confirmRunning(run: Run, row: EnvironmentRow, signal: AbortSignal): Promise<void> {
	const pve = getProxmox();
	const deadline = Date.now() + timings.startConfirmMs;
	let startedOurselves = false;
	for (;;) {
		const status = await pve.getLxcStatus(row.node, row.vmid!, { signal });
		if (status.status === 'running') return;
		if (!status.lock && Date.now() > deadline - timings.startConfirmMs / 2 && !startedOurselves) {
			// The automatic start did not happen (or failed silently): start it ourselves to see the reason.
			run.event('warning', 'The container did not come up on its own; starting it explicitly.');
			startedOurselves = true;
			const upid = await pve.startLxc(row.node, row.vmid!, { signal });
			await followTask(run, row.node, upid, signal, row);
			continue;
		}
		if (Date.now() > deadline) {
			throw new SpyreError('timeout', `CT ${row.vmid} did not reach running within ${timings.startConfirmMs / 1000} s (it is ${status.status}).`);
		}
		await sleep(timings.pollMs, signal);
	}
}

async function discoverIp(run: Run, row: EnvironmentRow, staticIp: string | null, signal: AbortSignal): Promise<string> {
	if (staticIp) {
		run.event('status', `Using the static address ${staticIp}.`);
		return staticIp;
	}
	const ip = await getProxmox().waitForIp(row.node, row.vmid!, { signal });
	run.event('status', `The container has address ${ip}.`);
	return ip;
}

/** Spyre's SSH key must work before an environment counts as running; the host key is pinned here. */
async function verifySsh(run: Run, row: EnvironmentRow, ip: string, signal: AbortSignal): Promise<void> {
	const deadline = Date.now() + timings.sshVerifyMs;
	let attempt = 0;
	for (;;) {
		try {
			await ssh.verifySsh({ envId: row.id, host: ip });
			run.event('status', 'SSH works with Spyre\'s key; host key pinned.');
			return;
		} catch (err) {
			const retryable = err instanceof SpyreError && (err.code === 'ssh' || err.code === 'timeout');
			if (!retryable || Date.now() > deadline) throw err;
			if (attempt++ === 0) run.event('status', `SSH not ready yet (${messageOf(err)}); retrying.`);
			await sleep(Math.min(500 * attempt, 3000), signal);
		}
	}
}

async function bringUp(run: Run, row: EnvironmentRow, staticIp: string | null, signal: AbortSignal): Promise<void> {
	run.step('network', 'Waiting for the container\'s network address');
	row = set(row.id, { status: 'waiting_network' });
	const ip = await discoverIp(run, row, staticIp, signal);
	row = set(row.id, { ip, status: 'verifying_ssh' });
	run.step('ssh', `Checking SSH to ${ip}`);
	await verifySsh(run, row, ip, signal);
	set(row.id, { status: 'running', error: null, error_step: null });
	run.step('done', `${row.hostname} is running at ${ip}`);
}

async function liveStatusOr(row: EnvironmentRow, fallback: EnvironmentRow['status']): Promise<FailureChanges> {
	if (row.vmid === null) return { status: fallback };
	try {
		const s = await getProxmox().getLxcStatus(row.node, row.vmid);
		return { status: s.status === 'running' ? 'running' : s.status === 'stopped' ? 'stopped' : fallback };
	} catch {
		return { status: fallback };
	}
}

/** After a failed create: forget the VMID when Proxmox has already removed the CT (a failed vzcreate does). */
async function afterFailedCreate(row: EnvironmentRow): Promise<FailureChanges> {
	if (row.vmid === null) return { status: 'error' };
	try {
		await getProxmox().getLxcStatus(row.node, row.vmid);
		return { status: 'error' };
	} catch (err) {
		return isProxmoxError(err) && err.kind === 'not_found' ? { status: 'error', vmid: null } : { status: 'error' };
	}
}

// ---------------------------------------------------------------------------------------------------
// Create

function isVmidRace(err: unknown, vmid: number): boolean {
	if (!isProxmoxError(err)) return false;
	const text = `${err.message} ${err.reason ?? ''} ${err.bodyMessage ?? ''} ${JSON.stringify(err.errors ?? {})}`;
	return text.includes(`${vmid} already exists`);
}

export async function createEnvironment(input: Record<string, unknown>, actor: AuditActor): Promise<EnvironmentRow> {
	const cfg = getConfig().proxmox;
	const pve = getProxmox();
	const nodes = await getNodes().catch(() => []);
	const requestedNode = typeof input.node === 'string' && input.node ? input.node : cfg.node;
	let templates: string[] | null = null;
	try {
		templates = (await pve.listTemplates(requestedNode, cfg.templateStorage)).map((t) => t.volid);
	} catch (err) {
		// Unknown node is reported by validation below; anything else means Proxmox is not answering.
		if (!(isProxmoxError(err) && nodes.length > 0 && !nodes.some((n) => n.node === requestedNode))) throw err;
	}
	let valid;
	try {
		valid = validateCreate(input, {
			nodes,
			defaultNode: cfg.node,
			templates,
			isHostnameTaken: (h) => findByHostname(h) !== undefined
		});
	} catch (err) {
		audit.record(actor, 'environment.create', typeof input.hostname === 'string' ? input.hostname.slice(0, 80) : null, 'failure', messageOf(err));
		throw err;
	}

	let staticIp: string | null = null;
	let cidr: { cidr: string; gw?: string } | 'dhcp' = 'dhcp';
	if (cfg.network.mode === 'static') {
		staticIp = nextFreeAddress(cfg.network.rangeStart, cfg.network.rangeEnd, listEnvironments().map((r) => r.ip));
		if (!staticIp) throw new SpyreError('conflict', 'The static address range in environment.yaml is used up.');
		cidr = { cidr: `${staticIp}/${cfg.network.prefix}`, gw: cfg.network.gateway };
	}

	let row: EnvironmentRow;
	try {
		row = insertEnvironment({
			id: newEnvironmentId(),
			hostname: valid.hostname,
			node: valid.node,
			status: 'creating',
			template: valid.template,
			cores: valid.cores,
			memory_mb: valid.memory,
			disk_gb: valid.disk,
			ip: staticIp,
			created_by: actor.userId ?? null
		});
	} catch (err) {
		if (String(err).includes('UNIQUE')) {
			throw new SpyreError('validation', `An environment named ${valid.hostname} already exists.`, {
				fields: { hostname: `An environment named ${valid.hostname} already exists.` }
			});
		}
		throw err;
	}
	events.publish('env.updated', { environment: rowView(row) });

	runJob(row, 'create', actor, 'environment.create', async (run, signal) => {
		run.step('allocate', `Creating ${row.hostname} on node ${row.node}`);
		let upid: string | null = null;
		for (let attempt = 0; attempt < 5 && upid === null; attempt++) {
			const vmid = await pve.getNextVmid(undefined, { signal });
			row = set(row.id, { vmid });
			const params: CreateLxcParams = {
				vmid,
				ostemplate: valid.template,
				hostname: valid.hostname,
				cores: valid.cores,
				memory: valid.memory,
				swap: 512,
				rootfs: { storage: cfg.storage, sizeGb: valid.disk },
				net0: { bridge: cfg.bridge, ip: cidr },
				features: { nesting: true },
				unprivileged: true,
				sshPublicKeys: getConfig().ssh.publicKey,
				start: true,
				nameserver: cfg.network.mode === 'static' ? cfg.network.nameserver : undefined,
				tags: 'spyre',
				description: `Managed by Spyre (${row.id})`
			};
			try {
				upid = await pve.createLxc(row.node, params, { signal });
			} catch (err) {
				// Only a taken vmid is safe to retry: it proves this request created nothing.
				if (!isVmidRace(err, vmid)) throw err;
				run.event('warning', `VMID ${vmid} was taken meanwhile; trying the next free one.`);
				row = set(row.id, { vmid: null });
			}
		}
		if (upid === null) throw new SpyreError('conflict', 'Could not get a free VMID after 5 tries.');
		run.event('status', `Proxmox task ${upid}`);
		run.step('create', `Proxmox is creating CT ${row.vmid}`);
		await followTask(run, row.node, upid, signal, row);
		run.step('start', `Starting CT ${row.vmid}`);
		row = set(row.id, { status: 'starting' });
		await confirmRunning(run, row, signal);
		await bringUp(run, row, staticIp, signal);
	}, { onFailure: afterFailedCreate });
	// On failure the row stays as an error the user can see and remove (a failed create task has already
	// removed the CT on Proxmox; a later failure leaves the CT, which destroy then removes).
	return row;
}

// ---------------------------------------------------------------------------------------------------
// Start / stop / destroy

function requireRow(id: string): EnvironmentRow {
	const row = getEnvironment(id);
	if (!row) throw new SpyreError('not_found', `Environment ${id} does not exist.`);
	return row;
}

function requireVmid(row: EnvironmentRow): number {
	if (row.vmid === null) throw new SpyreError('conflict', `${row.hostname} has no container on Proxmox.`);
	return row.vmid;
}

export function startEnvironment(id: string, actor: AuditActor): EnvironmentRow {
	const row = requireRow(id);
	requireVmid(row);
	runJob(row, 'start', actor, 'environment.start', async (run, signal) => {
		let current = set(row.id, { status: 'starting', error: null, error_step: null });
		run.step('start', `Starting CT ${row.vmid}`);
		const status = await getProxmox().getLxcStatus(row.node, row.vmid!, { signal });
		if (status.status !== 'running') {
			const upid = await getProxmox().startLxc(row.node, row.vmid!, { signal });
			await followTask(run, row.node, upid, signal, current);
		} else {
			run.event('status', 'The container is already running.');
		}
		current = getEnvironment(row.id)!;
		await bringUp(run, current, null, signal);
	}, { onFailure: (r) => liveStatusOr(r, 'error') });
	return getEnvironment(id)!;
}

export function stopEnvironment(id: string, actor: AuditActor): EnvironmentRow {
	const row = requireRow(id);
	requireVmid(row);
	runJob(row, 'stop', actor, 'environment.stop', async (run, signal) => {
		set(row.id, { status: 'stopping', error: null, error_step: null });
		await stopCt(run, row, signal);
		set(row.id, { status: 'stopped', current_task: null });
		run.step('done', `${row.hostname} is stopped`);
	}, { onFailure: (r) => liveStatusOr(r, 'error') });
	return getEnvironment(id)!;
}

/** Graceful shutdown with a timeout, then a hard stop if the container did not go down. */
async function stopCt(run: Run, row: EnvironmentRow, signal: AbortSignal): Promise<void> {
	const pve = getProxmox();
	const status = await pve.getLxcStatus(row.node, row.vmid!, { signal });
	if (status.status !== 'running') {
		run.event('status', 'The container is already stopped.');
		return;
	}
	void ssh.getSshPool().close(row.id).catch(() => {});
	run.step('shutdown', `Shutting down CT ${row.vmid} (up to ${timings.shutdownTimeoutS} s)`);
	try {
		const upid = await pve.shutdownLxc(row.node, row.vmid!, { timeout: timings.shutdownTimeoutS, signal });
		await followTask(run, row.node, upid, signal, row);
	} catch (err) {
		if (signal.aborted) throw err;
		run.event('warning', `Graceful shutdown failed (${messageOf(err)}); stopping it hard.`);
		run.step('stop', `Stopping CT ${row.vmid}`);
		const upid = await pve.stopLxc(row.node, row.vmid!, { signal });
		await followTask(run, row.node, upid, signal, row);
	}
}

export function destroyEnvironment(id: string, actor: AuditActor): EnvironmentRow {
	const row = requireRow(id);
	runJob(row, 'destroy', actor, 'environment.destroy', async (run, signal) => {
		set(row.id, { status: 'destroying', error: null, error_step: null });
		const pve = getProxmox();
		if (row.vmid !== null) {
			const resources = await pve.clusterResources({ signal });
			const live = resources.find((r) => r.vmid === row.vmid && r.type === 'lxc');
			if (live) {
				if (live.status === 'running') await stopCt(run, { ...row, node: live.node }, signal);
				run.step('destroy', `Destroying CT ${row.vmid}`);
				const upid = await pve.destroyLxc(live.node, row.vmid, { signal });
				await followTask(run, live.node, upid, signal, row);
			} else {
				run.event('status', `CT ${row.vmid} no longer exists on Proxmox; removing Spyre's record.`);
			}
		}
		void ssh.getSshPool().close(row.id).catch(() => {});
		run.step('done', `${row.hostname} is destroyed`);
		removed(row);
	});
	return getEnvironment(id)!;
}

// ---------------------------------------------------------------------------------------------------
// Adopt an unmanaged CT

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
	events.publish('env.updated', { environment: rowView(row) });
	return row;
}


// ---------------------------------------------------------------------------------------------------
// Start-up reconciliation

/**
 * After a crash or restart: every run left 'running' is marked interrupted, and every environment left in
 * a transitional state is checked against Proxmox and either resumed (the CT is still coming up) or given
 * its true state. Nothing is left spinning.
 */
export async function reconcileAfterRestart(): Promise<void> {
	interruptStaleRuns();
	const stale = listEnvironments().filter((r) => BUSY_STATUSES.includes(r.status) && !jobs.has(r.id));
	if (stale.length === 0) return;
	const system: AuditActor = { username: 'spyre', ip: null };
	let resources;
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
		const was = row.status;
		if (!live) {
			if (was === 'destroying') {
				removed(row);
				audit.record(system, 'environment.destroy', `${row.hostname} (${row.id})`, 'success', 'finished while Spyre was restarting');
			} else if (was === 'creating' || was === 'pending') {
				set(row.id, { status: 'error', error: 'Spyre restarted before the create finished, and Proxmox has no such container. Remove this entry and create it again.', error_step: 'create' });
			} else {
				set(row.id, { status: 'missing', error: null });
			}
			continue;
		}
		if (was === 'destroying') {
			runJob(row, 'destroy', system, 'environment.destroy', async (run, signal) => {
				run.event('status', 'Resuming the destroy after a Spyre restart.');
				if (live.status === 'running') await stopCt(run, { ...row, node: live.node }, signal);
				const upid = await getProxmox().destroyLxc(live.node, row.vmid!, { signal });
				await followTask(run, live.node, upid, signal, row);
				removed(row);
			});
			continue;
		}
		if (was === 'stopping') {
			set(row.id, { status: live.status === 'running' ? 'running' : 'stopped', error: live.status === 'running' ? 'Spyre restarted during the stop; the container is still running.' : null });
			continue;
		}
		// creating / starting / waiting_network / verifying_ssh / provisioning / pending
		runJob(row, was === 'creating' ? 'create' : 'start', system, 'environment.resume', async (run, signal) => {
			run.event('status', `Resuming after a Spyre restart (was ${was}).`);
			const pve = getProxmox();
			const deadline = Date.now() + getConfig().proxmox.taskTimeoutMs;
			let status = await pve.getLxcStatus(live.node, row.vmid!, { signal });
			while (status.lock === 'create' && Date.now() < deadline) {
				await sleep(timings.pollMs, signal);
				status = await pve.getLxcStatus(live.node, row.vmid!, { signal });
			}
			const current = set(row.id, { status: 'starting', node: live.node });
			await confirmRunning(run, current, signal);
			await bringUp(run, getEnvironment(row.id)!, null, signal);
		}, { onFailure: (r) => liveStatusOr(r, 'error') });
	}
}
