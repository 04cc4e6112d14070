// Helpers for bench/terminal.ts: start the Proxmox simulator and the built Spyre, create running
// environments through Spyre's API, open terminal WebSockets like a browser would (Node `ws` client),
// and small process/measurement utilities. Everything started here is stopped by PID in `stop()`.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { ssh as simSsh, sshArgs as simSshArgs, startSim, type ExecResult, type RunningSim } from '../../tests/helpers/sim';
import { setupAdmin, startSpyre, type RunningSpyre, type StartOptions } from '../../tests/helpers/spyre';
import { TEST_TEMPLATE } from '../../tests/helpers/templates';

export const TEMPLATE = TEST_TEMPLATE;
/** The size of every terminal the terminal benchmarks open (and of their `ssh -tt` baselines). */
export const COLS = 120;
export const ROWS = 40;

export const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// The statistics live in ./stats (one percentile definition for every benchmark); re-exported for the
// benchmarks that import them from here.
export { median, percentile, round } from './stats';

export interface Env {
	id: string;
	ip: string;
}

export interface Harness {
	sim: RunningSim;
	spyre: RunningSpyre;
	cookie: string;
	key: string;
	sshPort: number;
	/** Every ssh child this harness started and has not seen exit (killed by PID in stop()). */
	children: Set<ChildProcess>;
	createEnv(hostname: string): Promise<Env>;
	createWindow(envId: string, name: string): Promise<number>;
	api(method: string, pathname: string, body?: unknown): Promise<{ status: number; json: unknown }>;
	/** Raw ssh to the CT (no PTY), for set-up commands. */
	ssh(env: Env, command: string, timeoutMs?: number): Promise<ExecResult>;
	/** The ssh argv (without the program) for `root@ip` with Spyre's key; `tty` adds -tt. */
	sshArgs(env: Env, command: string[], tty: boolean): string[];
	/** Spawn an ssh child tracked for cleanup. */
	spawnSsh(args: string[], stdio: Parameters<typeof spawn>[2]['stdio']): ChildProcess;
	stop(): Promise<void>;
}

/** Start sim + built Spyre + admin session. Call stop() in a finally block. `serverEnv` is added to the server's environment. */
export async function startHarness(opts: { serverEnv?: Record<string, string>; config?: StartOptions['config'] } = {}): Promise<Harness> {
	const children = new Set<ChildProcess>();
	let sim: RunningSim | undefined;
	let spyre: RunningSpyre | undefined;
	const stop = async () => {
		for (const c of children) {
			if (c.pid && c.exitCode === null && c.signalCode === null) {
				try {
					process.kill(c.pid, 'SIGKILL');
				} catch {
					// already gone
				}
			}
		}
		children.clear();
		await spyre?.stop().catch(() => {});
		await sim?.stop().catch(() => {});
	};
	try {
		sim = await startSim();
		// No status poller noise during measurements.
		// 60 s to become healthy: benchmarks share a busy machine, where 20 s was seen to run out.
		spyre = await startSpyre({ mode: 'built', simJson: sim.simJson, config: opts.config, env: { SPYRE_POLL_MS: '0', ...opts.serverEnv }, readyTimeoutMs: 60_000 });
		const cookie = await setupAdmin(spyre.url, 'bench', 'bench-password-1');
		const key = path.join(spyre.dataDir, 'ssh', 'id_ed25519');
		const sshPort = sim.simJson.sshPort;
		const url = spyre.url;
		const api = async (method: string, pathname: string, body?: unknown) => {
			const res = await fetch(new URL(pathname, url), {
				method,
				headers: { cookie, origin: new URL(url).origin, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
				body: body !== undefined ? JSON.stringify(body) : undefined
			});
			const text = await res.text();
			let json: unknown = text;
			try {
				json = JSON.parse(text);
			} catch {
				// not JSON
			}
			return { status: res.status, json };
		};
		const sshArgs = (env: Env, command: string[], tty: boolean) => simSshArgs(key, env.ip, sshPort, command, tty);
		const h: Harness = {
			sim,
			spyre,
			cookie,
			key,
			sshPort,
			children,
			api,
			async createEnv(hostname) {
				const res = await api('POST', '/api/environments', { hostname, template: TEMPLATE, cores: 1, memory: 512, disk: 4 });
				if (res.status !== 202) throw new Error(`create ${hostname}: HTTP ${res.status} ${JSON.stringify(res.json)}`);
				const id = (res.json as { id: string }).id;
				const deadline = Date.now() + 90_000;
				for (;;) {
					const r = await api('GET', `/api/environments/${encodeURIComponent(id)}`);
					const j = r.json as { status?: string; ip?: string | null; error?: string | null; environment?: { status?: string; ip?: string | null; error?: string | null } };
					const view = j.environment ?? j;
					if (view.status === 'running' && view.ip) return { id, ip: view.ip.split('/')[0] };
					if (view.status === 'error') throw new Error(`environment ${hostname} failed: ${view.error}`);
					if (Date.now() > deadline) throw new Error(`environment ${hostname} not running after 90 s: ${JSON.stringify(j)}`);
					await sleep(200);
				}
			},
			async createWindow(envId, name) {
				const r = await api('POST', `/api/environments/${encodeURIComponent(envId)}/windows`, { name });
				if (r.status !== 201 && r.status !== 200) throw new Error(`create window: HTTP ${r.status} ${JSON.stringify(r.json)}`);
				const j = r.json as { window?: { index: number }; index?: number };
				const index = j.window?.index ?? j.index;
				if (typeof index !== 'number') throw new Error(`create window: no index in ${JSON.stringify(j)}`);
				return index;
			},
			ssh: (env, command, timeoutMs) => simSsh(key, env.ip, sshPort, command, timeoutMs),
			sshArgs,
			spawnSsh(args, stdio) {
				const child = spawn('ssh', args, { stdio });
				children.add(child);
				child.once('exit', () => children.delete(child));
				return child;
			},
			stop
		};
		return h;
	} catch (err) {
		await stop();
		throw err;
	}
}

export interface Term {
	ws: WebSocket;
	controls: Array<Record<string, unknown>>;
	/** Total binary bytes received. */
	bytes: number;
	/** Called for every binary frame. */
	onData: ((chunk: Buffer) => void) | null;
	closed: Promise<{ code: number; reason: string }>;
	closeInfo: { code: number; reason: string } | null;
	send(s: string | Buffer): void;
	close(): Promise<void>;
}

/** Open /api/terminal/:envId like the browser does and wait for `ready` (rejects on close or timeout). */
export function openTerminal(h: Harness, envId: string, window: number, opts: { cols?: number; rows?: number; timeoutMs?: number } = {}): Promise<Term> {
	const u = new URL(`/api/terminal/${encodeURIComponent(envId)}`, h.spyre.url);
	u.protocol = 'ws:';
	u.search = new URLSearchParams({ window: String(window), cols: String(opts.cols ?? 120), rows: String(opts.rows ?? 40) }).toString();
	return connectTerminal(u, { headers: { cookie: h.cookie }, origin: new URL(h.spyre.url).origin }, `terminal ${envId}:${window}`, opts.timeoutMs);
}

/**
 * Connect a terminal WebSocket speaking Spyre's protocol (binary = terminal bytes, text = JSON control)
 * and wait for its `ready` control message (rejects on close or timeout).
 */
export function connectTerminal(url: URL, options: { headers?: Record<string, string>; origin?: string }, label: string, timeoutMs = 20_000): Promise<Term> {
	const ws = new WebSocket(url, { ...options, perMessageDeflate: false });
	ws.on('error', () => {});
	const term: Term = {
		ws,
		controls: [],
		bytes: 0,
		onData: null,
		closeInfo: null,
		closed: new Promise((resolve) => {
			ws.on('close', (code, reason) => {
				term.closeInfo = { code, reason: reason.toString() };
				resolve(term.closeInfo);
			});
		}),
		send(s) {
			ws.send(typeof s === 'string' ? Buffer.from(s, 'utf8') : s, { binary: true });
		},
		async close() {
			if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
			await Promise.race([term.closed, sleep(3000)]);
			if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
		}
	};
	ws.on('message', (data, isBinary) => {
		const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
		if (isBinary) {
			term.bytes += buf.length;
			term.onData?.(buf);
		} else {
			try {
				term.controls.push(JSON.parse(buf.toString('utf8')) as Record<string, unknown>);
			} catch {
				term.controls.push({ type: '(unparseable)', text: buf.toString('utf8') });
			}
		}
	});
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			ws.terminate();
			reject(new Error(`${label} not ready after ${timeoutMs} ms; controls ${JSON.stringify(term.controls)}`));
		}, timeoutMs);
		const poll = setInterval(() => {
			if (term.controls.some((m) => m.type === 'ready')) {
				clearInterval(poll);
				clearTimeout(timer);
				resolve(term);
			}
		}, 5);
		void term.closed.then((c) => {
			clearInterval(poll);
			clearTimeout(timer);
			const err = term.controls.find((m) => m.type === 'error');
			reject(Object.assign(new Error(`${label} closed ${c.code} ${c.reason} ${err ? JSON.stringify(err) : ''}`.trim()), { close: c, control: err }));
		});
	});
}

/** Resolve once `stream` has been quiet (no data) for `quietMs`, or after `maxMs`. */
export async function waitQuiet(subscribe: (cb: () => void) => () => void, quietMs: number, maxMs: number): Promise<void> {
	let last = Date.now();
	const unsub = subscribe(() => (last = Date.now()));
	const end = Date.now() + maxMs;
	try {
		while (Date.now() - last < quietMs && Date.now() < end) await sleep(20);
	} finally {
		unsub();
	}
}

/** A byte-pattern watcher over a stream of chunks (the pattern may span chunks). */
export function watchFor(pattern: string): { feed(chunk: Buffer): boolean } {
	const pat = Buffer.from(pattern, 'utf8');
	let tail: Buffer = Buffer.alloc(0);
	return {
		feed(chunk) {
			const joined = tail.length ? Buffer.concat([tail, chunk]) : chunk;
			const found = joined.includes(pat);
			tail = joined.subarray(Math.max(0, joined.length - (pat.length - 1)));
			return found;
		}
	};
}

function readStatusKiB(pid: number, field: string): number {
	const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
	if (!m) throw new Error(`${field} not in /proc/${pid}/status`);
	return Number(m[1]);
}

export const rssKiB = (pid: number) => readStatusKiB(pid, 'VmRSS');

/** Proportional set size (shared pages split between sharers) of one process, in KiB; 0 if gone. */
export function pssKiB(pid: number): number {
	try {
		const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
		return m ? Number(m[1]) : 0;
	} catch {
		return 0;
	}
}

/** All descendants of `root` (not including it), from /proc. */
export function descendants(root: number): Array<{ pid: number; comm: string }> {
	const parent = new Map<number, number[]>();
	const comm = new Map<number, string>();
	for (const d of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(d)) continue;
		try {
			const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
			const close = stat.lastIndexOf(')');
			const name = stat.slice(stat.indexOf('(') + 1, close);
			const ppid = Number(stat.slice(close + 2).split(' ')[1]);
			comm.set(Number(d), name);
			if (!parent.has(ppid)) parent.set(ppid, []);
			parent.get(ppid)!.push(Number(d));
		} catch {
			// raced with exit
		}
	}
	const out: Array<{ pid: number; comm: string }> = [];
	const stack = [...(parent.get(root) ?? [])];
	while (stack.length) {
		const p = stack.pop()!;
		out.push({ pid: p, comm: comm.get(p) ?? '?' });
		stack.push(...(parent.get(p) ?? []));
	}
	return out;
}

/** PSS of every process under the simulator (CT init, sshd, sessions, tmux), grouped by command name. */
export function ctSidePss(simPid: number): { totalKiB: number; byComm: Record<string, { n: number; kib: number }> } {
	const byComm: Record<string, { n: number; kib: number }> = {};
	let totalKiB = 0;
	for (const { pid, comm } of descendants(simPid)) {
		const kib = pssKiB(pid);
		totalKiB += kib;
		const e = (byComm[comm] ??= { n: 0, kib: 0 });
		e.n++;
		e.kib += kib;
	}
	return { totalKiB, byComm };
}
