// Steps shared by the lifecycle verbs (and the provisioner's create phase): follow a Proxmox task,
// confirm a CT is running, bring it up (the address step in address.ts), start-then-bring-up, stop it. Each
// records what it does on the run and honours the job's AbortSignal; none decides a job's outcome.

import { setTimeout as sleep } from 'node:timers/promises';
import { SpyreError, messageOf } from '../errors';
import { getProxmox } from '../proxmox';
import * as ssh from '../ssh';
import type { Run, StepProgress } from '../jobs';
import { candidateAddress, verifyAndStore } from './address';
import { getEnvironment, type EnvironmentRow } from './repo';
import { set } from './state';
import { timings } from './timings';
import { ensureTools } from './tools';

export { timings };

/** Maps a step name to the progress it reports; steps without one report none. */
export type ProgressOf = (step: string) => StepProgress | undefined;

/** Follow a Proxmox task to its end, recording its log lines; the row shows the task while it runs. */
export async function followTask(run: Run, node: string, upid: string, signal: AbortSignal, row: EnvironmentRow): Promise<void> {
	set(row.id, { current_task: upid });
	await getProxmox().waitForTask(node, upid, {
		signal,
		onLog: (line) => run.event('log', line.t)
	});
	set(row.id, { current_task: null });
}

/** Confirm a CT reached `running` (create's start=1 runs a separate task whose end we cannot see). */
export async function confirmRunning(run: Run, row: EnvironmentRow, signal: AbortSignal): Promise<void> {
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
		await sleep(timings.pollMs, undefined, { signal });
	}
}

/**
 * From a running CT to a usable environment: its address settled by the one address step (checked against
 * the configured network, host key verified there, then stored), what Spyre needs in it installed when
 * missing (tools.ts: tmux), status running.
 */
export async function bringUp(run: Run, row: EnvironmentRow, signal: AbortSignal, progress?: ProgressOf): Promise<EnvironmentRow> {
	run.step('network', "Waiting for the container's network address", progress?.('network'));
	row = set(row.id, { status: 'waiting_network' });
	const ip = await candidateAddress(run, row, signal);
	run.step('ssh', `Checking SSH and the host key at ${ip}`, progress?.('ssh'));
	row = await verifyAndStore(run, set(row.id, { status: 'verifying_ssh' }), ip, signal);
	await ensureTools(run, { envId: row.id, host: ip }, signal, progress);
	row = set(row.id, { status: 'running', error: null, error_step: null });
	run.step('done', `${row.hostname} is running at ${ip}`, progress?.('done'));
	return row;
}

/**
 * The one "start the CT if it is stopped, then bring it up" (start, a provision retry, the restart resume):
 * start and follow the task when needed, confirm it runs, then `bringUp`.
 */
export async function startAndBringUp(run: Run, row: EnvironmentRow, signal: AbortSignal, opts: { label?: string; progress?: ProgressOf } = {}): Promise<EnvironmentRow> {
	const pve = getProxmox();
	run.step('start', opts.label ?? `Starting CT ${row.vmid}`, opts.progress?.('start'));
	const current = set(row.id, { status: 'starting', error: null, error_step: null });
	const status = await pve.getLxcStatus(current.node, current.vmid!, { signal });
	if (status.status !== 'running') {
		const upid = await pve.startLxc(current.node, current.vmid!, { signal });
		await followTask(run, current.node, upid, signal, current);
	} else {
		run.event('status', 'The container is already running.');
	}
	await confirmRunning(run, current, signal);
	return bringUp(run, getEnvironment(row.id)!, signal, opts.progress);
}

/** Graceful shutdown with a timeout, then a hard stop if the container did not go down. */
export async function stopCt(run: Run, row: EnvironmentRow, signal: AbortSignal): Promise<void> {
	const pve = getProxmox();
	const status = await pve.getLxcStatus(row.node, row.vmid!, { signal });
	if (status.status !== 'running') {
		run.event('status', 'The container is already stopped.');
		return;
	}
	void ssh
		.getSshPool()
		.close(row.id)
		.catch(() => {});
	run.step('shutdown', `Shutting down CT ${row.vmid} (up to ${timings.shutdownTimeoutS} s)`);
	try {
		const upid = await pve.shutdownLxc(row.node, row.vmid!, { timeout: timings.shutdownTimeoutS, signal });
		await followTask(run, row.node, upid, signal, row);
	} catch (err) {
		if (signal.aborted) throw err;
		run.event('warning', `Graceful shutdown failed (${messageOf(err)}); stopping it hard.`);
		run.step('stop', `Stopping CT ${row.vmid}`);
		try {
			const upid = await pve.stopLxc(row.node, row.vmid!, { signal });
			await followTask(run, row.node, upid, signal, row);
		} catch (stopErr) {
			// A shutdown past its timeout can still finish on its own before the hard stop arrives, which Proxmox
			// then refuses ("CT N not running"): the container is down, as asked. Anything else is the failure.
			if (signal.aborted) throw stopErr;
			const live = await pve.getLxcStatus(row.node, row.vmid!, { signal }).catch(() => null);
			if (live?.status !== 'stopped') throw stopErr;
			run.event('status', 'The container went down on its own before the hard stop.');
		}
	}
}
