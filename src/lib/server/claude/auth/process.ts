// Runs the `claude` CLI on the Spyre host for authentication: under a pseudo-terminal for the login
// flows (setup-token renders nothing without a TTY), plainly for `--version` and `auth status`. Owns the
// CLI's environment (a short allow-list: Spyre's own environment may hold secrets the CLI must not see),
// the `$BROWSER` script that hands Spyre the localhost redirect URL, and killing: a flow's whole process
// group, plus any process still carrying this Spyre's marker (orphans from a crash). Never puts a secret
// in argv or in the environment of a login: the CLI is given none.

import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as nodePty from 'node-pty';
import type { IPty } from 'node-pty';

/** Environment variable that marks every process of this Spyre's login flows (children inherit it). */
export const OWNER_ENV = 'SPYRE_CLAUDE_AUTH_OWNER';
const MAX_OUTPUT = 256 * 1024;

/** A marker unique to one data dir, so two Spyres on one host never kill each other's flows. */
export function ownerMarker(dataDir: string): string {
	return crypto.createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16);
}

export interface CliEnvOptions {
	configDir: string;
	marker: string;
	browserScript?: string;
	browserOut?: string;
	extra?: Record<string, string>;
}

export function cliEnv(o: CliEnvOptions): Record<string, string> {
	const env: Record<string, string> = {
		PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
		HOME: process.env.HOME ?? o.configDir,
		LANG: 'C.UTF-8',
		TERM: 'xterm-256color',
		CLAUDE_CONFIG_DIR: o.configDir,
		DISABLE_AUTOUPDATER: '1',
		DISABLE_TELEMETRY: '1',
		[OWNER_ENV]: o.marker,
		...o.extra
	};
	if (o.browserScript && o.browserOut) {
		env.BROWSER = o.browserScript;
		env.SPYRE_BROWSER_OUT = o.browserOut;
	}
	return env;
}

const BROWSER_SCRIPT = `#!/bin/sh
# Written by Spyre. The claude CLI runs $BROWSER with the sign-in URL whose redirect goes to its
# localhost listener; Spyre has no browser, so it reads the URL from this file instead.
printf '%s\\n' "$1" >> "$SPYRE_BROWSER_OUT"
`;

/** Write the $BROWSER script into `dir` (0700) and return its path and the file it appends to. */
export function writeBrowserScript(dir: string): { script: string; out: string } {
	fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
	const script = path.join(dir, 'browser.sh');
	const out = path.join(dir, 'browser-urls.txt');
	fs.writeFileSync(script, BROWSER_SCRIPT, { mode: 0o700 });
	fs.rmSync(out, { force: true });
	return { script, out };
}

export interface PtyRun {
	pid: number;
	output(): string;
	write(data: string): void;
	onData(listener: () => void): void;
	exited: Promise<{ code: number; signal: number | undefined }>;
	isRunning(): boolean;
	/** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once the leader exited. */
	kill(graceMs?: number): Promise<void>;
}

export function runPty(file: string, args: string[], opts: { cwd: string; env: Record<string, string> }): PtyRun {
	// Wide, so the CLI never wraps the long authorize URL or the token across lines.
	const term: IPty = nodePty.spawn(file, args, { name: 'xterm-256color', cols: 1000, rows: 50, cwd: opts.cwd, env: opts.env });
	let buf = '';
	let running = true;
	const listeners = new Set<() => void>();
	term.onData((d) => {
		buf += d;
		if (buf.length > MAX_OUTPUT) buf = buf.slice(-MAX_OUTPUT);
		for (const l of listeners) l();
	});
	const exited = new Promise<{ code: number; signal: number | undefined }>((resolve) => {
		term.onExit(({ exitCode, signal }) => {
			running = false;
			resolve({ code: exitCode, signal });
		});
	});
	return {
		pid: term.pid,
		output: () => buf,
		write: (data) => {
			if (running) term.write(data);
		},
		onData: (l) => listeners.add(l),
		exited,
		isRunning: () => running,
		async kill(graceMs = 2000) {
			// node-pty makes the child a session (and group) leader, so -pid reaches every process it started.
			signalGroup(term.pid, 'SIGTERM');
			const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
			if ((await Promise.race([exited, timer])) === 'timeout') signalGroup(term.pid, 'SIGKILL');
			await Promise.race([exited, new Promise((r) => setTimeout(r, 1000).unref())]);
			// Members of the group that ignored SIGTERM (or outlived the leader) go too.
			signalGroup(term.pid, 'SIGKILL');
		}
	};
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(-pgid, signal);
	} catch {
		// The group is already gone.
	}
}

/** Whether `file` (a path, or a name looked up on PATH) is an executable this process may run. */
export function findExecutable(file: string): string | null {
	const candidates = file.includes('/')
		? [file]
		: (process.env.PATH ?? '')
				.split(':')
				.filter(Boolean)
				.map((d) => path.join(d, file));
	for (const c of candidates) {
		try {
			fs.accessSync(c, fs.constants.X_OK);
			if (fs.statSync(c).isFile()) return c;
		} catch {
			// not here
		}
	}
	return null;
}

/** Run the CLI without a terminal (`--version`, `auth status`); never throws, reports what happened. */
export function runCli(file: string, args: string[], env: Record<string, string>, timeoutMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string; error?: string }> {
	return new Promise((resolve) => {
		execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 1024 * 1024, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
			if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
				resolve({ code: null, stdout: String(stdout), stderr: String(stderr), error: (err as NodeJS.ErrnoException).code as string });
				return;
			}
			const code = err ? ((err as { code?: number }).code ?? null) : 0;
			resolve({ code: typeof code === 'number' ? code : null, stdout: String(stdout), stderr: String(stderr), error: err && err.killed ? 'timeout' : undefined });
		});
	});
}

/** Pids of processes carrying this Spyre's login marker (same user only: others' environ is unreadable). */
export function findMarked(marker: string): number[] {
	const needle = `\0${OWNER_ENV}=${marker}\0`;
	const found: number[] = [];
	let entries: string[];
	try {
		entries = fs.readdirSync('/proc');
	} catch {
		return found;
	}
	for (const name of entries) {
		if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
		try {
			const environ = '\0' + fs.readFileSync(`/proc/${name}/environ`, 'latin1') + '\0';
			if (environ.includes(needle)) found.push(Number(name));
		} catch {
			// Gone, or not ours.
		}
	}
	return found;
}

/** Kill every marked process (and its group); returns how many there were. */
export function killMarked(marker: string): number {
	const pids = findMarked(marker);
	for (const pid of pids) {
		try {
			process.kill(pid, 'SIGKILL');
		} catch {
			// exited meanwhile
		}
	}
	return pids.length;
}
