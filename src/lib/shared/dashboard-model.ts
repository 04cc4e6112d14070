// What the dashboard draws, and how live events change it. Pure functions over plain data, so the same
// snapshot plus the same events give the same picture, and the rules are testable without a browser.
// The server builds the snapshot (src/lib/server/environments/dashboard.ts); the rune store applies events to it.

import { BUSY_STATUSES, type EnvironmentStatus, type EnvironmentView, type RunView } from '$lib/shared/types/environments';
import type { ServerEventMap } from '$lib/shared/types/events';

/** The little of an environment the dashboard needs to count it and charge it to its node. */
export interface EnvLite {
	id: string;
	hostname: string;
	status: EnvironmentStatus;
	node: string;
	cores: number;
	memoryMb: number;
	diskGb: number;
	/** Spyre stopped it on its own (idle, schedule); null otherwise. */
	stoppedBy: EnvironmentView['stoppedBy'];
}

/** A node's state and capacity, plus what guests Spyre does not manage already take of it. */
export interface NodeBase {
	node: string;
	status: 'online' | 'offline' | 'unknown';
	maxcpu: number;
	/** Bytes, as Proxmox reports them. */
	maxmem: number;
	maxdisk: number;
	/** Unmanaged CTs and VMs on the node: counted, and their sizes charged, but never changed live. */
	other: { guests: number; cores: number; memoryMb: number; diskGb: number };
}

export interface NodeUsage {
	node: string;
	status: NodeBase['status'];
	guests: number;
	environments: number;
	cores: { used: number; max: number };
	memoryMb: { used: number; max: number };
	diskGb: { used: number; max: number };
}

/** A provision run as the dashboard lists it: the run's own fields, with its id as `runId` and the hostname. */
export interface ProvisionItem extends Pick<RunView, 'environmentId' | 'status' | 'phase' | 'step' | 'percent' | 'error' | 'configName' | 'startedAt' | 'finishedAt'> {
	runId: RunView['id'];
	hostname: EnvironmentView['hostname'];
}

/** One audit row as the dashboard shows it: no client IP, no free-text detail. */
export interface ActivityItem {
	id: number;
	ts: number;
	username: string | null;
	action: string;
	/** The target as a person reads it: an environment's hostname rather than its id. */
	target: string | null;
	outcome: 'success' | 'failure' | 'denied';
	/** Set when the target is an environment that still exists (the line links to it). */
	environmentId: string | null;
}

export interface LastTerminal {
	environmentId: string;
	hostname: string;
	ts: number;
}

export type CountGroup = 'running' | 'busy' | 'stopped' | 'error' | 'unknown';

export const COUNT_GROUPS: ReadonlyArray<{ id: CountGroup; label: string }> = [
	{ id: 'running', label: 'Running' },
	{ id: 'busy', label: 'In progress' },
	{ id: 'stopped', label: 'Stopped' },
	{ id: 'error', label: 'Error' },
	{ id: 'unknown', label: 'Unknown' }
];

/** Finished provisions kept beside the running ones (the list is a glance, not the history). */
export const RECENT_PROVISIONS = 5;

export function groupOf(status: EnvironmentStatus): CountGroup {
	if (status === 'running') return 'running';
	if (status === 'stopped') return 'stopped';
	if (status === 'error' || status === 'missing') return 'error';
	if (BUSY_STATUSES.includes(status)) return 'busy';
	return 'unknown';
}

export function countByGroup(envs: readonly EnvLite[]): Record<CountGroup, number> {
	const counts: Record<CountGroup, number> = { running: 0, busy: 0, stopped: 0, error: 0, unknown: 0 };
	for (const e of envs) counts[groupOf(e.status)]++;
	return counts;
}

export function liteOf(view: EnvironmentView): EnvLite {
	return {
		id: view.id,
		hostname: view.hostname,
		status: view.status,
		node: view.node,
		cores: view.cores ?? 0,
		memoryMb: view.memoryMb ?? 0,
		diskGb: view.diskGb ?? 0,
		stoppedBy: view.stoppedBy
	};
}

export interface GivenBack {
	/** The configured memory of every stopped environment: what the cluster has back while they sleep. */
	memoryMb: number;
	stopped: number;
	/** Of those, the ones Spyre stopped on its own (idle time or schedule). */
	byLifecycle: number;
}

export function givenBack(envs: readonly EnvLite[]): GivenBack {
	const stopped = envs.filter((e) => e.status === 'stopped');
	return { memoryMb: stopped.reduce((a, e) => a + e.memoryMb, 0), stopped: stopped.length, byLifecycle: stopped.filter((e) => e.stoppedBy !== null).length };
}

/** Each node's capacity against what its guests are given (allocation, not live use). */
export function nodeUsage(nodes: readonly NodeBase[], envs: readonly EnvLite[]): NodeUsage[] {
	return nodes.map((n) => {
		const mine = envs.filter((e) => e.node === n.node);
		const sum = (f: (e: EnvLite) => number) => mine.reduce((acc, e) => acc + f(e), 0);
		return {
			node: n.node,
			status: n.status,
			guests: n.other.guests + mine.length,
			environments: mine.length,
			cores: { used: n.other.cores + sum((e) => e.cores), max: n.maxcpu },
			memoryMb: { used: n.other.memoryMb + sum((e) => e.memoryMb), max: Math.round(n.maxmem / 2 ** 20) },
			diskGb: { used: n.other.diskGb + sum((e) => e.diskGb), max: Math.round(n.maxdisk / 2 ** 30) }
		};
	});
}

/** Running first (oldest first, as they started), then the newest finished, at most RECENT_PROVISIONS. */
export function orderProvisions(items: readonly ProvisionItem[]): ProvisionItem[] {
	const running = items.filter((p) => p.status === 'running').sort((a, b) => a.startedAt - b.startedAt);
	const done = items
		.filter((p) => p.status !== 'running')
		.sort((a, b) => (b.finishedAt ?? b.startedAt) - (a.finishedAt ?? a.startedAt))
		.slice(0, RECENT_PROVISIONS);
	return [...running, ...done];
}

/** The part of the `env.log` payload a provision item needs: one run event, with the run it belongs to. */
export type RunLogData = Pick<ServerEventMap['env.log'], 'id' | 'runId' | 'runKind' | 'ts' | 'phase' | 'step' | 'percent' | 'kind'>;

/** The `env.run` payload: a run ended. */
export type RunEndData = ServerEventMap['env.run'];

/** A provision run moved: update its progress, or start showing it (a run begun anywhere). */
export function applyRunLog(items: readonly ProvisionItem[], d: RunLogData, hostnameOf: (id: string) => string | null): ProvisionItem[] {
	if (d.runKind !== 'provision') return items as ProvisionItem[];
	const i = items.findIndex((p) => p.runId === d.runId);
	if (i === -1) {
		const hostname = hostnameOf(d.id);
		if (hostname === null) return items as ProvisionItem[];
		const fresh: ProvisionItem = {
			runId: d.runId,
			environmentId: d.id,
			hostname,
			status: 'running',
			phase: d.phase ?? null,
			step: d.kind === 'step' ? d.step : null,
			percent: d.percent ?? null,
			error: null,
			configName: null,
			startedAt: d.ts,
			finishedAt: null
		};
		return orderProvisions([...items, fresh]);
	}
	const p = items[i];
	// Events after the end (a late line) never reopen a finished run.
	if (p.status !== 'running') return items as ProvisionItem[];
	const next = items.slice();
	next[i] = {
		...p,
		phase: d.phase ?? p.phase,
		step: d.kind === 'step' && d.step ? d.step : p.step,
		percent: typeof d.percent === 'number' ? d.percent : p.percent
	};
	return next;
}

export function applyRunEnd(items: readonly ProvisionItem[], d: RunEndData, now: number): ProvisionItem[] {
	if (d.runKind !== 'provision') return items as ProvisionItem[];
	const i = items.findIndex((p) => p.runId === d.runId);
	if (i === -1) return items as ProvisionItem[];
	const next = items.slice();
	const p = items[i];
	next[i] = { ...p, status: d.status, error: d.error, finishedAt: now, percent: d.status === 'succeeded' ? 100 : p.percent };
	return orderProvisions(next);
}

/** A destroyed environment's runs go with it (the database deletes them too). */
export function removeEnvRuns(items: readonly ProvisionItem[], id: string): ProvisionItem[] {
	return items.filter((p) => p.environmentId !== id);
}
