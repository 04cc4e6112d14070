// Steps shared by the lifecycle verbs (and the provisioner's create phase): follow a Proxmox task,
// confirm a CT is running, find its address, prove Spyre's SSH key works, bring it up, stop it. Each
// records what it does on the run and honours the job's AbortSignal; none decides a job's outcome.

import { setTimeout as sleep } from 'node:timers/promises';
import { SpyreError, messageOf } from '../errors';
import { getProxmox } from '../proxmox';
import * as ssh from '../ssh';
import type { Run, StepProgress } from '../jobs';
import type { EnvironmentRow } from './repo';
import { set } from './state';

/** Tunables, so tests can shorten waits. */
export const timings = {
	startConfirmMs: 30_000,
	sshVerifyMs: 60_000,
	shutdownTimeoutS: 30,
	pollMs: 500
};

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

export async function discoverIp(run: Run, row: EnvironmentRow, staticIp: string | null, signal: AbortSignal): Promise<string> {
	if (staticIp) {
		run.event('status', `Using the static address ${staticIp}.`);
		return staticIp;
	}
	const ip = await getProxmox().waitForIp(row.node, row.vmid!, { signal });
	run.event('status', `The container has address ${ip}.`);
	return ip;
}

/** Spyre's SSH key must work before an environment counts as running; the host key is pinned here. */
export async function verifySsh(run: Run, row: EnvironmentRow, ip: string, signal: AbortSignal): Promise<void> {
	const deadline = Date.now() + timings.sshVerifyMs;
	let attempt = 0;
	for (;;) {
		try {
			await ssh.verifySsh({ envId: row.id, host: ip });
			run.event('status', "SSH works with Spyre's key; host key pinned.");
			return;
		} catch (err) {
			const retryable = err instanceof SpyreError && (err.code === 'ssh' || err.code === 'timeout');
			if (!retryable || Date.now() > deadline) throw err;
			if (attempt++ === 0) run.event('status', `SSH not ready yet (${messageOf(err)}); retrying.`);
			await sleep(Math.min(500 * attempt, 3000), undefined, { signal });
		}
	}
}

/** From a running CT to a usable environment: address, SSH verified, status running. */
export async function bringUp(run: Run, row: EnvironmentRow, staticIp: string | null, signal: AbortSignal, progress?: ProgressOf): Promise<EnvironmentRow> {
	run.step('network', "Waiting for the container's network address", progress?.('network'));
	row = set(row.id, { status: 'waiting_network' });
	const ip = await discoverIp(run, row, staticIp, signal);
	row = set(row.id, { ip, status: 'verifying_ssh' });
	run.step('ssh', `Checking SSH to ${ip}`, progress?.('ssh'));
	await verifySsh(run, row, ip, signal);
	row = set(row.id, { status: 'running', error: null, error_step: null });
	run.step('done', `${row.hostname} is running at ${ip}`, progress?.('done'));
	return row;
}

/** Graceful shutdown with a timeout, then a hard stop if the container did not go down. */
export async function stopCt(run: Run, row: EnvironmentRow, signal: AbortSignal): Promise<void> {
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
