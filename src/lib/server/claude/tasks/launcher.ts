// The shell side of a task inside an environment: where its files live, the launcher script that runs
// `claude -p` detached from the SSH channel, and the small commands that probe, tail and stop it. Every
// value from data (paths, model, tools, session ids, the API URL) goes through `quote()`; the prompt and
// the task's credential are never on a command line at all: they sit in 0600 files the launcher reads (the
// prompt as the CLI's stdin, so no argv limit applies; the credential into the CLI's environment, after
// which the file is deleted). The credential is the per-task broker token (ANTHROPIC_AUTH_TOKEN, with
// ANTHROPIC_BASE_URL = the broker), or only with the owner's opt-in the real one.

import { SpyreError } from '../../errors';
import { command, quote } from '../../shell';
import type { TaskOptions } from '$lib/shared/types/claude';
import type { TaskCredential } from '../auth';

export const TASK_ROOT = '/var/lib/spyre/claude';
export const TASK_ID_RE = /^task-[a-z0-9]{10,32}$/;
const SESSION_ID_RE = /^[A-Za-z0-9][A-Za-z0-9-]{0,99}$/;

/**
 * How often `tail -F` looks at the file when it cannot use inotify. GNU tail polls on file systems it
 * does not trust inotify on (overlayfs among them, as in many containers): this interval is then the
 * floor of the line latency (0.5 s measured p99 ~500 ms with `npm run bench claude`; 0.1 s left a long
 * reply's lines at p99 ~280 ms on a loaded machine, against a 250 ms target). A stat per 50 ms per
 * running task is cheap.
 */
export const TAIL_POLL_SECONDS = 0.05;

/** A 401 is retried 10 times by default (~3 min); a task should fail fast and say why instead. */
export const CLI_MAX_RETRIES = 2;

export interface TaskPaths {
	dir: string;
	prompt: string;
	credential: string;
	script: string;
	out: string;
	pid: string;
	exit: string;
}

export function taskPaths(taskId: string): TaskPaths {
	if (!TASK_ID_RE.test(taskId)) throw new SpyreError('bad_request', 'Not a task id.');
	const dir = `${TASK_ROOT}/${taskId}`;
	return {
		dir,
		prompt: `${dir}/prompt`,
		credential: `${dir}/credential`,
		script: `${dir}/run.sh`,
		out: `${dir}/out.jsonl`,
		pid: `${dir}/pid`,
		exit: `${dir}/exit`
	};
}

/** The CLI's arguments (the prompt comes on stdin). */
export function cliArgs(opts: TaskOptions, resumeSessionId: string | null): string[] {
	// --include-partial-messages: a `stream_event` line per API event, so a long reply shows as it is written
	// (not only once each content block is complete); Spyre shows those lines live and does not store them.
	const args = ['-p', '--output-format', 'stream-json', '--verbose', '--include-partial-messages', '--permission-mode', opts.permissionMode];
	if (opts.model) args.push('--model', opts.model);
	if (opts.maxTurns) args.push('--max-turns', String(opts.maxTurns));
	if (opts.maxBudgetUsd) args.push('--max-budget-usd', String(opts.maxBudgetUsd));
	if (resumeSessionId) {
		if (!SESSION_ID_RE.test(resumeSessionId)) throw new SpyreError('bad_request', 'The session id to resume is not valid.');
		args.push('--resume', resumeSessionId);
	}
	// Variadic: it takes every following argument, so it goes last.
	if (opts.allowedTools.length > 0) args.push('--allowedTools', ...opts.allowedTools);
	return args;
}

export interface LauncherInput {
	taskId: string;
	options: TaskOptions;
	resumeSessionId: string | null;
	/** `broker_token`: the per-task token for Spyre's broker; the others only with the inject opt-in. */
	credentialKind: TaskCredential['kind'] | 'broker_token' | null;
	apiBaseUrl: string | null;
	cli?: string;
}

/**
 * The launcher script. It runs as its own session leader (setsid), so its PID is the process group that
 * Cancel kills, and nothing of it belongs to the SSH channel that started it.
 */
export function launcherScript(input: LauncherInput): string {
	const p = taskPaths(input.taskId);
	const envVar = input.credentialKind === 'broker_token' ? 'ANTHROPIC_AUTH_TOKEN' : input.credentialKind === 'api_key' ? 'ANTHROPIC_API_KEY' : 'CLAUDE_CODE_OAUTH_TOKEN';
	const lines = [
		'#!/bin/sh',
		'# Written by Spyre for one Claude task; runs detached from SSH. Output: out.jsonl; exit status: exit.',
		`d=${quote(p.dir)}`,
		'echo $$ > "$d/pid"',
		'export HOME="${HOME:-/root}"',
		// A fresh home would run the CLI's onboarding; a task has nobody to answer it.
		'[ -f "$HOME/.claude.json" ] || printf \'%s\\n\' \'{"hasCompletedOnboarding":true}\' > "$HOME/.claude.json"',
		'unset ANTHROPIC_API_KEY CLAUDE_CODE_OAUTH_TOKEN ANTHROPIC_AUTH_TOKEN',
		`if [ -f "$d/credential" ]; then ${envVar}=$(cat "$d/credential"); export ${envVar}; rm -f "$d/credential"; fi`,
		// Root in a container: the CLI refuses bypassPermissions as root unless IS_SANDBOX=1 says it is sandboxed.
		'export IS_SANDBOX=1',
		`export CLAUDE_CODE_MAX_RETRIES=${CLI_MAX_RETRIES} DISABLE_AUTOUPDATER=1 DISABLE_TELEMETRY=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1`,
		input.apiBaseUrl ? `export ANTHROPIC_BASE_URL=${quote(input.apiBaseUrl)}` : 'unset ANTHROPIC_BASE_URL',
		`if ! cd ${quote(input.options.workdir)} 2>/dev/null; then`,
		`  printf '%s\\n' ${quote(`Spyre: the working directory ${input.options.workdir} does not exist in this environment.`)} >> "$d/out.jsonl"`,
		'  echo 1 > "$d/exit.tmp" && mv "$d/exit.tmp" "$d/exit"; exit 1',
		'fi',
		`${command(input.cli ?? 'claude', ...cliArgs(input.options, input.resumeSessionId))} < "$d/prompt" >> "$d/out.jsonl" 2>&1`,
		'echo $? > "$d/exit.tmp" && mv "$d/exit.tmp" "$d/exit"',
		''
	];
	return lines.join('\n');
}

/**
 * Can this environment open a TCP connection to the broker? Prints `broker-ok`, `broker-unreachable` or
 * `broker-unknown` (no bash to try with). Run before the CLI starts, so a task fails with a clear reason
 * instead of the CLI's "Unable to connect to API".
 */
export function brokerProbeCommand(brokerUrl: string, timeoutSeconds = 5): string {
	const u = new URL(brokerUrl);
	const host = u.hostname.replace(/^\[|\]$/g, '');
	const port = u.port || (u.protocol === 'https:' ? '443' : '80');
	if (!/^[A-Za-z0-9.:-]+$/.test(host) || !/^\d+$/.test(port)) throw new SpyreError('config', 'claude.broker.url has an unusable host or port.');
	return [
		'if ! command -v bash >/dev/null 2>&1; then echo broker-unknown; exit 0; fi',
		`if timeout ${timeoutSeconds} bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ ${quote(host)} ${quote(port)} 2>/dev/null; then echo broker-ok; else echo broker-unreachable; fi`
	].join('\n');
}

/** Prepare the task's directory (0700) and an empty output file; run before the files are written. */
export function prepareCommand(taskId: string): string {
	const p = taskPaths(taskId);
	return `umask 077 && mkdir -p ${quote(p.dir)} && : > ${quote(p.out)}`;
}

/**
 * Start the launcher in its own session, detached; prints the launcher's PID (= its process group).
 * Only the simple command goes to the background: `cd / && setsid … &` would background the whole list in
 * a subshell that waits for the task while holding the channel's stdout, so the exec would only return
 * when the task ends. It returns once the launcher has written its PID file (at most 5 s): the first
 * probe follows right after, and a probe that found no PID file, or a PID that has not yet become the
 * launcher, would take a task that is starting for one that is gone.
 */
export function startCommand(taskId: string): string {
	const p = taskPaths(taskId);
	return [
		'cd /',
		`setsid sh ${quote(p.script)} </dev/null >/dev/null 2>&1 &`,
		'launcher=$!',
		`i=0; while [ ! -s ${quote(p.pid)} ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done`,
		'echo $launcher'
	].join('\n');
}

/**
 * What the task's process is doing: `running`, `exited <code>` (the exit file exists) or `gone` (died
 * without writing one: killed, the CT restarted). A PID is only believed while its command line still
 * names this task's launcher, so a reused PID is never mistaken for the task.
 */
export function probeCommand(taskId: string): string {
	const p = taskPaths(taskId);
	return [
		`d=${quote(p.dir)}`,
		'if [ -f "$d/exit" ]; then echo "exited $(cat "$d/exit")"; exit 0; fi',
		'pid=$(cat "$d/pid" 2>/dev/null)',
		'case "$pid" in ""|*[!0-9]*) echo gone; exit 0;; esac',
		`if [ "$pid" -gt 1 ] && tr '\\0' ' ' < /proc/$pid/cmdline 2>/dev/null | grep -qF "$d/run.sh"; then echo "running $pid"; else echo gone; fi`
	].join('\n');
}

export type Probe = { state: 'running'; pid: number } | { state: 'exited'; code: number | null } | { state: 'gone' };

export function parseProbe(stdout: string): Probe {
	const line = stdout.trim().split('\n').at(-1) ?? '';
	const running = /^running (\d+)$/.exec(line);
	if (running) return { state: 'running', pid: Number(running[1]) };
	const exited = /^exited\s*(-?\d+)?$/.exec(line);
	if (exited) return { state: 'exited', code: exited[1] === undefined ? null : Number(exited[1]) };
	return { state: 'gone' };
}

/**
 * Follow the output file from byte `offset` (0-based). With the launcher's PID, tail exits by itself
 * once that process is gone and the file is read to its end; without one it prints what is there.
 */
export function tailCommand(taskId: string, offset: number, pid: number | null): string {
	const p = taskPaths(taskId);
	if (!Number.isSafeInteger(offset) || offset < 0) throw new SpyreError('internal', 'A tail offset must be a non-negative integer.');
	const from = `+${offset + 1}`;
	if (pid !== null && pid > 1) return command('tail', '-c', from, '-F', '-s', String(TAIL_POLL_SECONDS), `--pid=${pid}`, p.out);
	return command('tail', '-c', from, p.out);
}

/** Stop the task's whole process group: TERM, then KILL after a grace period. */
export function cancelCommand(taskId: string, graceSeconds = 3): string {
	const p = taskPaths(taskId);
	return [
		`d=${quote(p.dir)}`,
		'rm -f "$d/credential"',
		'pid=$(cat "$d/pid" 2>/dev/null)',
		'case "$pid" in ""|*[!0-9]*) echo no-pid; exit 0;; esac',
		'[ "$pid" -gt 1 ] || exit 0',
		// dash's kill takes no `--`: a negative number right after the signal names the process group.
		'kill -TERM -"$pid" 2>/dev/null || { echo not-running; exit 0; }',
		`i=0; while kill -0 -"$pid" 2>/dev/null && [ $i -lt ${graceSeconds * 10} ]; do sleep 0.1; i=$((i+1)); done`,
		'kill -KILL -"$pid" 2>/dev/null; echo killed'
	].join('\n');
}

/** Remove the credential file if the task ended before the launcher read it. */
export function scrubCommand(taskId: string): string {
	return `rm -f ${quote(taskPaths(taskId).credential)}`;
}
