// Browser-safe shapes of an attempt set: one prompt run in N clones of an environment side by side
// (claude/attempts on the server). Check output is what a CT printed: shown as text, never as markup.

import type { TaskOptions, TaskStatus } from './claude';

export const MIN_ATTEMPTS = 2;
export const MAX_ATTEMPTS = 8;

export type AttemptSetStatus = 'creating' | 'running' | 'done' | 'failed' | 'kept' | 'discarded';
export type AttemptStatus = 'queued' | 'cloning' | 'dispatching' | 'running' | 'checking' | 'done' | 'failed' | 'kept' | 'discarded';

/** Sets still doing work (the page follows them live). */
export const ACTIVE_SET_STATUSES: readonly AttemptSetStatus[] = ['creating', 'running'];

export interface AttemptChanges {
	files: number;
	added: number;
	removed: number;
}

export interface AttemptCheck {
	exitCode: number | null;
	/** The last lines it printed (bounded; control characters removed). */
	lines: string[];
	durationMs: number | null;
}

export interface AttemptView {
	n: number;
	hostname: string;
	/** Null once the clone is destroyed. */
	environmentId: string | null;
	/** The clone's environment status while it exists. */
	environmentStatus: string | null;
	node: string | null;
	status: AttemptStatus;
	error: string | null;
	cloneMs: number | null;
	taskId: string | null;
	taskStatus: TaskStatus | null;
	startedAt: number | null;
	finishedAt: number | null;
	durationMs: number | null;
	numTurns: number | null;
	costUsd: number | null;
	changes: AttemptChanges | null;
	check: AttemptCheck | null;
}

export interface AttemptSetView {
	id: string;
	sourceEnvId: string | null;
	sourceHostname: string;
	prompt: string;
	options: Partial<TaskOptions>;
	repo: string | null;
	count: number;
	status: AttemptSetStatus;
	/** The snapshot of the source the clones were made from (deleted once they exist). */
	snapshot: string | null;
	/** How the clones were placed, in Spyre's words ("all on pve: storage local-lvm is local to it"). */
	placement: string | null;
	error: string | null;
	keptN: number | null;
	/** The config's check command, when it has one. */
	check: string | null;
	createdAt: number;
	runningAt: number | null;
	finishedAt: number | null;
	attempts: AttemptView[];
}

export interface AttemptSetSummary {
	id: string;
	sourceHostname: string;
	count: number;
	status: AttemptSetStatus;
	createdAt: number;
}
