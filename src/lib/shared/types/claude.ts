// Claude tasks as the browser and API clients see them: plain data shared by the bridge, the routes, the
// task socket and the pages. No server imports.

export const TASK_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const ACTIVE_STATUSES: readonly TaskStatus[] = ['queued', 'running'];

/**
 * The one list of permission modes, for a task's options and a config's `claude.permission_mode` alike: what
 * the CLI accepts for --permission-mode (2.1.332 calls the old `default` `manual`, and still takes it).
 */
export const TASK_PERMISSION_MODES = ['default', 'acceptEdits', 'plan', 'bypassPermissions', 'dontAsk', 'auto'] as const;
export type TaskPermissionMode = (typeof TASK_PERMISSION_MODES)[number];
/**
 * The one default. A headless task has nobody to answer a permission prompt, and what it may break is
 * walled off: the environment is its own CT on its own network, the Claude credential stays behind Spyre's
 * broker, and a snapshot is taken before the task (on by default in this mode) so Roll back undoes it.
 */
export const DEFAULT_PERMISSION_MODE: TaskPermissionMode = 'bypassPermissions';

/** Largest prompt accepted, in bytes (the CLI reads it from a file, so argv limits do not apply). */
export const MAX_PROMPT_BYTES = 512 * 1024;

/** Options of one task, after defaults from the environment's config were applied. */
export interface TaskOptions {
	model: string | null;
	maxTurns: number | null;
	maxBudgetUsd: number | null;
	permissionMode: TaskPermissionMode;
	allowedTools: string[];
	/** Working directory in the environment. */
	workdir: string;
	/** Take a Proxmox snapshot of the CT before starting. */
	snapshot: boolean;
	/**
	 * A git work tree in the environment (one of its config's repos, or any work tree's top level) the task
	 * works on, on its own branch `spyre/<short task id>`; its changes are recorded when it ends. Null: none.
	 */
	repo: string | null;
}

/** What a caller may set; anything left out comes from the config's `claude:` section or the defaults. */
export type TaskOptionsInput = Partial<TaskOptions>;

/** Tokens and cost of a task's calls, as upstream reported them to Spyre's broker. */
export interface TaskUsage {
	calls: number;
	inputTokens: number;
	outputTokens: number;
	cacheCreationTokens: number;
	cacheReadTokens: number;
	costUsd: number;
}

export interface TaskView {
	id: string;
	environmentId: string;
	environmentName: string | null;
	prompt: string;
	status: TaskStatus;
	resumeOf: string | null;
	sessionId: string | null;
	options: TaskOptions;
	result: string | null;
	error: string | null;
	/** Measured by Spyre's broker from upstream's answers (null when no call went through it). */
	costUsd: number | null;
	/** What the CLI's own result line claimed (not trusted: the CT writes it). */
	reportedCostUsd: number | null;
	usage: TaskUsage | null;
	/** Why the broker refused a call of this task (a budget), shown on its page. */
	refused: string | null;
	numTurns: number | null;
	durationMs: number | null;
	resultSubtype: string | null;
	snapshot: string | null;
	/** When the environment was rolled back to that snapshot (Discard). */
	rolledBackAt: number | null;
	lastSeq: number;
	createdAt: number;
	startedAt: number | null;
	finishedAt: number | null;
}

/**
 * One stored line of a task. `type` is the stream-json type (`system`, `assistant`, `user`, `result`,
 * ...), or `raw` for a line that is not JSON (stderr, a truncated line), or `spyre` for Spyre's own
 * markers (started, truncated output, re-attached, ended).
 */
export interface TaskEvent {
	seq: number;
	ts: number;
	type: string;
	/** The parsed JSON object, or `{ text }` for raw lines and Spyre markers. */
	data: Record<string, unknown>;
}

/**
 * Part of a content block that is still being written (text, or a tool call's input JSON so far): `text`
 * continues the block at character `from`. Never stored: the completed block arrives as an `assistant` event.
 */
export interface PartialPiece {
	messageId: string;
	index: number;
	type: 'text' | 'tool_use';
	/** Tool calls only. */
	name?: string;
	id?: string;
	from: number;
	text: string;
	/** The block grew past what Spyre shows live; the completed message will have all of it. */
	truncated?: boolean;
}

/**
 * Live partial blocks, at most one frame per task every 50 ms. `reset`: forget every partial block first
 * (sent once after each connect's replay, then the pieces are the text so far). `done`: messages whose
 * partial blocks are over. A stored `assistant` event also ends its message's partial blocks.
 */
export interface TaskPartialFrame {
	kind: 'partial';
	reset?: true;
	done?: string[];
	pieces: PartialPiece[];
}

/** Messages on `WS /api/claude/:taskId?after=SEQ`. */
export type TaskSocketMessage =
	({ kind: 'event' } & TaskEvent) | { kind: 'task'; task: TaskView } | { kind: 'hello'; seq: number } | TaskPartialFrame | { kind: 'error'; code: string; message: string };

export interface TaskPage {
	tasks: TaskView[];
	total: number;
	page: number;
	pageSize: number;
}

/** Why Run is refused, for the page (null: it can run). */
export interface DispatchReadiness {
	ok: boolean;
	reason: string | null;
	code: 'unauthenticated' | 'broker' | 'not_running' | 'claude_missing' | 'busy' | null;
}

/** One commit on a task's branch (base..HEAD). The subject is the CT's text: shown as text only. */
export interface TaskCommit {
	sha: string;
	subject: string;
}

/** One file changed from the base to the working tree; null counts for a binary file. */
export interface TaskFileChange {
	path: string;
	added: number | null;
	removed: number | null;
}

/** What a task changed in its repository, recorded from the environment (not the transcript) at its end. */
export interface TaskChangesView {
	taskId: string;
	repoPath: string;
	branch: string;
	baseCommit: string | null;
	/** started: the branch is made and the end not recorded yet; failed: `error` says why. */
	state: 'started' | 'recorded' | 'failed';
	headCommit: string | null;
	commits: TaskCommit[];
	files: TaskFileChange[];
	/** More files changed than are listed. */
	filesTruncated: boolean;
	added: number;
	removed: number;
	/** Unified diff base → working tree (bounded on the server: 2 MiB, 512 KiB per file), null when nothing was recorded. */
	diff: string | null;
	/** Files or hunks were left out of `diff` to stay within the bounds. */
	diffTruncated: boolean;
	error: string | null;
	recordedAt: number | null;
	pushedAt: number | null;
	pushOutput: string | null;
}
