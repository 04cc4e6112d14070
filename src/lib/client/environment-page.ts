// Rules of the environment page that are worth pinning: when its terminals open, when the provision view
// stays on screen, and how a recorded run is named in the list of runs. Pure (no DOM), so the spec can
// walk every state.

import type { EnvironmentView, RunKind, RunStatus, RunSummary } from '$lib/shared/types/environments';

/**
 * Terminals open whenever the CT runs and has an address, also after a failed provision (status 'error'):
 * the failure is shown beside them, as Coder does when a startup script fails, instead of locking the
 * person out of the machine they would debug it in. The server's `requireReachable` is the real gate.
 */
export function terminalOpen(env: Pick<EnvironmentView, 'status' | 'liveStatus' | 'ip'>): boolean {
	if (env.status === 'running') return true;
	return env.status === 'error' && env.liveStatus === 'running' && env.ip !== null;
}

/** Whether opening a terminal starts it first (the terminal socket wakes a stopped environment with a CT). */
export function terminalWakes(env: Pick<EnvironmentView, 'status' | 'vmid'>): boolean {
	return env.status === 'stopped' && env.vmid !== null;
}

/** Whether the CT of an environment whose status is 'error' still runs (so Stop, not Start, applies). */
export function runsDespiteError(env: Pick<EnvironmentView, 'status' | 'liveStatus'>): boolean {
	return env.status === 'error' && env.liveStatus === 'running';
}

/**
 * The provision view stays while its run is going or did not succeed (a Start or Stop after a failed
 * provision keeps the failure, its Retry and its log on screen). When this page watched a provision run
 * (or a retry it started) the newest one stays after it succeeded, until the person hides it.
 */
export function provisionShown(run: Pick<RunSummary, 'status'> | null, watching: boolean): boolean {
	if (!run) return false;
	return run.status !== 'succeeded' || watching;
}

const KIND_LABEL: Record<RunKind, string> = { create: 'Create', provision: 'Provision', start: 'Start', stop: 'Stop', destroy: 'Destroy' };
const STATUS_LABEL: Record<RunStatus, string> = {
	running: 'running',
	succeeded: 'succeeded',
	failed: 'failed',
	cancelled: 'cancelled',
	interrupted: 'interrupted'
};

/** "Provision from dev-web · failed", for a line in the list of runs. */
export function runTitle(run: Pick<RunSummary, 'kind' | 'status' | 'configName' | 'configVersion'>): string {
	const from = run.configName ? ` from ${run.configName}${run.configVersion !== null ? ` v${run.configVersion}` : ''}` : '';
	return `${KIND_LABEL[run.kind]}${from} · ${STATUS_LABEL[run.status]}`;
}

/** "42 s", "3 min 5 s": how long a run took (or has taken so far, given `now`). */
export function runDuration(run: Pick<RunSummary, 'startedAt' | 'finishedAt'>, now: number): string {
	const s = Math.max(0, Math.round(((run.finishedAt ?? now) - run.startedAt) / 1000));
	if (s < 60) return `${s} s`;
	const m = Math.floor(s / 60);
	return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
