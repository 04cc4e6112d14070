// How live events change a list of environments and their run logs: pure functions over plain data, so
// every page that shows environments reduces `env.updated` / `env.removed` / `env.log` the same way and
// the rules are tested without a browser. The rune store (environments.svelte.ts) holds the result.

import type { EnvironmentView, RunEventView } from '$lib/shared/types/environments';
import type { ServerEventMap } from '$lib/shared/types/events';

/** One line of a run's log as the pages draw it; `runId` is known for lines that arrived live. */
export type LogLine = RunEventView & { runId?: number };

/** A log keeps its newest lines only: a chatty install must not grow the page without bound. */
export const LOG_LIMIT = 500;

/** Where an environment the list does not hold yet goes when an event brings it, or 'none' to leave it out. */
export type Placement = 'top' | 'bottom' | 'none';

/** Pushed rows carry no live metrics (CPU, memory, uptime, Proxmox's status): keep the last known ones. */
export function keepLiveMetrics(view: EnvironmentView, prev: EnvironmentView | undefined): EnvironmentView {
	if (!prev) return view;
	return {
		...view,
		cpu: view.cpu ?? prev.cpu,
		memUsed: view.memUsed ?? prev.memUsed,
		uptime: view.uptime ?? prev.uptime,
		liveStatus: view.liveStatus ?? prev.liveStatus
	};
}

/** Replace the row in place (same position), or add it where `placement` says. */
export function upsertRow<Row extends { id: string }>(rows: readonly Row[], row: Row, placement: Placement): Row[] {
	const i = rows.findIndex((r) => r.id === row.id);
	if (i === -1) {
		if (placement === 'top') return [row, ...rows];
		if (placement === 'bottom') return [...rows, row];
		return rows as Row[];
	}
	const next = rows.slice();
	next[i] = row;
	return next;
}

export function removeRow<Row extends { id: string }>(rows: readonly Row[], id: string): Row[] {
	return rows.some((r) => r.id === id) ? rows.filter((r) => r.id !== id) : (rows as Row[]);
}

/**
 * Add one live line to an environment's log. A new run (another runId, or seq 1) starts a fresh log; a
 * line already held (a replay after a reconnect) is not added twice.
 */
export function appendLogLine(lines: readonly LogLine[] | undefined, d: ServerEventMap['env.log']): LogLine[] {
	const line: LogLine = { ...lineOf(d), runId: d.runId };
	const prev = lines ?? [];
	const last = prev.at(-1);
	const otherRun = prev.length > 0 && prev[0].runId !== undefined && prev[0].runId !== d.runId;
	if (otherRun || d.seq === 1) return [line];
	if (last && last.runId === d.runId && d.seq <= last.seq) return prev as LogLine[];
	return [...prev, line].slice(-LOG_LIMIT);
}

/** The log line an `env.log` event carries, without the event's routing fields. */
export function lineOf(d: ServerEventMap['env.log']): RunEventView {
	const line: RunEventView = { seq: d.seq, ts: d.ts, kind: d.kind, step: d.step, message: d.message };
	for (const key of ['phase', 'index', 'total', 'percent'] as const) if (d[key] !== undefined) Object.assign(line, { [key]: d[key] });
	return line;
}

/** The logs of environments that are no longer listed go with them. */
export function dropLog(logs: Readonly<Record<string, LogLine[]>>, id: string): Record<string, LogLine[]> {
	if (!(id in logs)) return logs as Record<string, LogLine[]>;
	const next = { ...logs };
	delete next[id];
	return next;
}
