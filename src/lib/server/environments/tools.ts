// What Spyre itself needs inside every environment: tmux (its browser terminals are tmux windows). A
// Proxmox "standard" template has no tmux, so the bring-up installs it when it is missing, with the CT's
// package manager and through environment.yaml's `provision.apt_proxy` (a config's own apt_proxy applies
// to its packages step; this runs for every environment, config or not). Present: one cheap check, no step.

import { getConfig } from '../env-config';
import type { Run } from '../jobs';
import { detectPackageManager, installCommand, LOCK_WAIT_S, packageFailureSummary } from '../provisioner/package-manager';
import { runRecorded, runnerFor, StepFailedError } from '../provisioner/step-output';
import * as ssh from '../ssh';
import type { ProgressOf } from './steps';

/** Packages Spyre's own features run in an environment, by the command that shows they are there. */
const TOOLS: Array<{ command: string; pkg: string; why: string }> = [{ command: 'tmux', pkg: 'tmux', why: "Spyre's terminals run in it" }];

const CHECK_MS = 30_000;

/** Install what TOOLS lists and the CT lacks; a `tools` step on `run` only when something is missing. */
export async function ensureTools(run: Run, target: ssh.SshTarget, signal: AbortSignal, progress?: ProgressOf): Promise<void> {
	const missing: typeof TOOLS = [];
	for (const t of TOOLS) {
		const r = await ssh.exec(target, `command -v ${t.command} >/dev/null`, { timeoutMs: CHECK_MS });
		if (r.code !== 0) missing.push(t);
	}
	if (missing.length === 0) return;
	const names = missing.map((t) => t.pkg);
	const proxy = getConfig().provision.aptProxy ?? null;
	run.step('tools', `Installing ${names.join(', ')} (${missing.map((t) => t.why).join('; ')})${proxy ? ` through the proxy ${proxy}` : ''}`, progress?.('ssh'));
	const osRelease = await ssh.exec(target, 'cat /etc/os-release', { timeoutMs: CHECK_MS });
	if (osRelease.code !== 0) throw new StepFailedError('Could not read /etc/os-release in the container.', osRelease.stderr.split('\n').slice(-10));
	const pm = detectPackageManager(osRelease.stdout);
	await runRecorded(run, runnerFor(target), installCommand(pm, names, proxy), {
		label: `Installing ${names.join(', ')}`,
		timeoutMs: (LOCK_WAIT_S + 600) * 1000,
		signal,
		explain: packageFailureSummary(pm)
	});
}
