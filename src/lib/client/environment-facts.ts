// How an environment's size and live figures read, wherever it is shown (its card, its table row, its
// page), so the views agree. Live figures (CPU use, memory in use, uptime) only while Spyre has it as
// running: Proxmox keeps reporting a stopped or failing CT's last values.

import { formatBytes } from '$lib/shared/format-bytes';
import type { EnvironmentView } from '$lib/shared/types/environments';

export type EnvironmentFigures = Pick<EnvironmentView, 'status' | 'cores' | 'cpu' | 'memoryMb' | 'memUsed' | 'diskGb' | 'uptime'>;

const live = (env: Pick<EnvironmentView, 'status'>) => env.status === 'running';

/** `3d 4h`, `2h 5m` or `4m 10s`: the two largest units of an uptime in seconds; `—` for none. */
export function formatUptime(s: number | null | undefined): string {
	if (!s) return '—';
	const d = Math.floor(s / 86400);
	const h = Math.floor((s % 86400) / 3600);
	const m = Math.floor((s % 3600) / 60);
	if (d > 0) return `${d}d ${h}h`;
	if (h > 0) return `${h}h ${m}m`;
	return `${m}m ${Math.floor(s % 60)}s`;
}

/** `2 cores · 13%` while it runs, else `2 cores`; `unit: false` leaves the word out (a column headed CPU). */
export function cpuText(env: EnvironmentFigures, { unit = true }: { unit?: boolean } = {}): string {
	const cores = unit ? `${env.cores ?? '—'} ${env.cores === 1 ? 'core' : 'cores'}` : `${env.cores ?? '—'}`;
	return live(env) && env.cpu !== null ? `${cores} · ${(env.cpu * 100).toFixed(0)}%` : cores;
}

/** `412 MiB / 2.0 GiB` while it runs (in use / given), else what it is given. */
export function memoryText(env: EnvironmentFigures): string {
	const given = env.memoryMb !== null ? formatBytes(env.memoryMb * 2 ** 20) : '—';
	return live(env) && env.memUsed !== null ? `${formatBytes(env.memUsed)} / ${given}` : given;
}

/** The root disk's size as configured (whole GiB, as Proxmox sizes it). */
export function diskText(env: EnvironmentFigures): string {
	return env.diskGb !== null ? `${env.diskGb} GiB` : '—';
}

export function uptimeText(env: EnvironmentFigures): string {
	return live(env) ? formatUptime(env.uptime) : '—';
}
