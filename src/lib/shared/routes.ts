// The one typed place for every URL the browser asks Spyre for: HTTP API paths, WebSocket paths and the
// pages that link to one record. Components and pages import these builders and never spell '/api/...'
// themselves, so a renamed route changes here only. routes.spec.ts walks src/routes/api and fails when an
// endpoint has no builder. Pure (no browser globals), so the server and tests can import it too.

import type { RunKind } from '$lib/shared/types/environments';

const enc = encodeURIComponent;
const env = (id: string) => `/api/environments/${enc(id)}`;
const task = (id: string) => `/api/claude/tasks/${enc(id)}`;

/** HTTP endpoints under /api (each +server.ts in src/routes/api has one here). */
export const apiRoutes = {
	environments: () => '/api/environments',
	environment: env,
	start: (id: string) => `${env(id)}/start`,
	stop: (id: string) => `${env(id)}/stop`,
	/** The newest run, the newest of one kind, or one run by id (each with its log). */
	run: (id: string, which: { kind?: RunKind; run?: number; before?: number } = {}) => {
		const q = new URLSearchParams();
		if (which.kind) q.set('kind', which.kind);
		if (which.run !== undefined) q.set('run', String(which.run));
		if (which.before !== undefined) q.set('before', String(which.before));
		const qs = q.toString();
		return `${env(id)}/run${qs ? `?${qs}` : ''}`;
	},
	/** Every run of an environment, newest first, a page at a time (`before`: older than that run id). */
	runs: (id: string, before: number) => `${env(id)}/runs?before=${before}`,
	cancel: (id: string) => `${env(id)}/cancel`,
	retry: (id: string) => `${env(id)}/retry`,
	trustHostKey: (id: string) => `${env(id)}/trust-host-key`,
	/** Listening ports (GET) and Share (POST {port}); `port(id, n)` is Unshare (DELETE). */
	ports: (id: string) => `${env(id)}/ports`,
	port: (id: string, port: number) => `${env(id)}/ports/${port}`,
	windows: (id: string) => `${env(id)}/windows`,
	window: (id: string, index: number) => `${env(id)}/windows/${index}`,
	adopt: () => '/api/environments/adopt',
	provision: () => '/api/environments/provision',
	templates: (node: string) => `/api/templates?node=${enc(node)}`,
	configs: () => '/api/configs',
	config: (name: string) => `/api/configs/${enc(name)}`,
	configVersions: (name: string) => `/api/configs/${enc(name)}/versions`,
	configVersion: (name: string, version: number) => `/api/configs/${enc(name)}/versions/${version}`,
	configRestore: (name: string, version: number) => `/api/configs/${enc(name)}/versions/${version}/restore`,
	configDiff: (name: string, from: number, to: number) => `/api/configs/${enc(name)}/diff?from=${from}&to=${to}`,
	configCheck: () => '/api/configs/check',
	configSchema: () => '/api/configs/schema',
	claudeInstall: () => '/api/claude/install',
	claudeTasks: () => '/api/claude/tasks',
	claudeTask: task,
	claudeTaskEvents: (id: string) => `${task(id)}/events`,
	claudeTaskCancel: (id: string) => `${task(id)}/cancel`,
	claudeTaskResume: (id: string) => `${task(id)}/resume`,
	claudeTaskRollback: (id: string) => `${task(id)}/rollback`,
	claudeTaskChanges: (id: string) => `${task(id)}/changes`,
	claudeTaskPush: (id: string) => `${task(id)}/push`,
	claudeTaskTerminal: (id: string) => `${task(id)}/terminal`,
	claudeAttemptSets: () => '/api/claude/attempts',
	claudeAttemptSet: (id: string) => `/api/claude/attempts/${enc(id)}`,
	claudeAttemptSetKeep: (id: string) => `/api/claude/attempts/${enc(id)}/keep`,
	notifySettings: () => '/api/settings/notifications',
	notifyTest: () => '/api/settings/notifications/test',
	/** Repository credentials: list (GET) and add (POST); one by name: replace (PUT), delete (DELETE). */
	repoCredentials: () => '/api/settings/repo-credentials',
	repoCredential: (name: string) => `/api/settings/repo-credentials/${enc(name)}`
} as const;

/** WebSocket paths (server.js hands these to src/lib/server/ws/upgrade.ts). Path and query only. */
export const wsRoutes = {
	/** The event stream; `after` resumes from the last sequence number seen. */
	events: (after: number | null = null) => `/api/events${after === null ? '' : `?after=${after}`}`,
	/** Without a window: the session's active one (a terminal opened on a stopped environment, which starts it). */
	terminal: (envId: string, opts: { window?: number; cols: number; rows: number }) =>
		`/api/terminal/${enc(envId)}?${new URLSearchParams({ ...(opts.window === undefined ? {} : { window: String(opts.window) }), cols: String(opts.cols), rows: String(opts.rows) })}`,
	/** One Claude task's transcript, from the event after `after`. */
	claudeTask: (taskId: string, after = 0) => `/api/claude/${enc(taskId)}?after=${after}`
} as const;

/** The browser's Claude sign-in endpoints under /auth/claude (the callback is the CLI's, reached by a redirect, not built here). */
export const claudeAuthRoutes = {
	/** The sign-in state; with `?history=1`, the recent sign-in attempts too. */
	status: () => '/auth/claude/status',
	start: () => '/auth/claude/start',
	relay: () => '/auth/claude/relay',
	cancel: () => '/auth/claude/cancel',
	apiKey: () => '/auth/claude/api-key',
	signOut: () => '/auth/claude/sign-out',
	inject: () => '/auth/claude/inject'
} as const;

/** Pages (routes.spec.ts fails on a page link or redirect spelled out anywhere in src instead of built here). */
export const pageRoutes = {
	/**
	 * The sign-in page; `next` is where to go after signing in (the dashboard when absent). It is only
	 * encoded here: the login page reads it through safeNext ($lib/server/http), the one open-redirect rule.
	 */
	login: (next?: string) => (next === undefined || next === '' || next === '/' ? '/login' : `/login?next=${enc(next)}`),
	/** The first-run page that creates the first user. */
	setup: () => '/setup',
	dashboard: () => '/',
	environments: () => '/environments',
	/** The environments page with its create form open. */
	newEnvironment: () => '/environments?new=1',
	environment: (id: string) => `/environments/${enc(id)}`,
	/** The environment page with this tmux window as its terminal's first tab. */
	environmentTerminal: (id: string, window: number) => `/environments/${enc(id)}?window=${window}`,
	environmentClaude: (id: string, taskId?: string) => `/environments/${enc(id)}/claude${taskId ? `?task=${enc(taskId)}` : ''}`,
	configs: () => '/configs',
	config: (name: string) => `/configs/${enc(name)}`,
	/** The config page with its history open, showing the diff between two versions. */
	configHistory: (name: string, from: number, to: number) => `/configs/${enc(name)}?from=${from}&to=${to}#history`,
	claude: () => '/claude',
	claudeSessions: () => '/claude/sessions',
	claudeSession: (id: string) => `/claude/sessions/${enc(id)}`,
	claudeAttempts: (setId: string) => `/claude/attempts/${enc(setId)}`,
	settings: () => '/settings',
	account: () => '/settings/account',
	settingsClaude: () => '/settings/claude',
	sshKeys: () => '/settings/ssh-keys',
	settingsRepos: () => '/settings/repos',
	audit: () => '/settings/audit',
	/** The audit export (a download, filtered by the query the caller appends). */
	auditExport: () => '/settings/audit/export'
} as const;
