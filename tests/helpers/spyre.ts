// Starts a real Spyre for integration and e2e tests: the built `node server.js` (default) or `vite dev`,
// with its own temp data dir, fresh ed25519 key pair, environment.yaml and free port. Every process it
// starts is stopped by PID (SIGTERM, then SIGKILL after 8 s) and every temp dir removed, even when a test
// fails. Must not import vitest or Playwright: both runners use it.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { stringify } from 'yaml';
import { TEST_TEMPLATE } from './templates';
import { setGatewayPorts, simCidr, type SimJson } from './sim';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
import { SESSION_COOKIE } from '../../src/lib/server/auth/session-cookie';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
/** environment.yaml as written (snake_case). Overrides are deep-merged; `null` deletes a key. */
export type RawConfig = Record<string, unknown>;

export interface StartOptions {
	mode?: 'built' | 'dev';
	/** Deep-merged into the generated environment.yaml; a `null` value removes the key. */
	config?: DeepPartial<RawConfig> | RawConfig;
	simJson?: SimJson;
	env?: Record<string, string>;
	/** How long to wait for /healthz (default 20 s built, 60 s dev). */
	readyTimeoutMs?: number;
	/** Restart on the data dir (config, keys, database, port) of an instance stopped with `keepData`. */
	reuse?: Pick<RunningSpyre, 'dataDir' | 'configPath' | 'dbPath' | 'port'>;
}

export interface StopResult {
	code: number | null;
	signal: NodeJS.Signals | null;
	/** From SIGTERM to exit (0 when the process had already exited). */
	durationMs: number;
	stdout: string;
	stderr: string;
}

export interface RunningSpyre {
	url: string;
	port: number;
	dataDir: string;
	configPath: string;
	dbPath: string;
	pid: number;
	/** Live output so far. */
	output(): { stdout: string; stderr: string };
	/**
	 * SIGTERM by PID, wait (SIGKILL after 8 s), remove the temp dir. Idempotent. `beforeCleanup` runs
	 * after the exit and before the data dir is removed (to inspect the DB).
	 */
	stop(opts?: { beforeCleanup?: (dataDir: string) => void | Promise<void>; keepData?: boolean }): Promise<StopResult>;
}

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

/** Last resort if a runner exits without calling stop(): kill our own children by PID, remove temp dirs. */
function installExitHook(): void {
	if (exitHookInstalled) return;
	exitHookInstalled = true;
	process.once('exit', () => {
		for (const child of live) {
			try {
				if (child.pid) process.kill(child.pid, 'SIGKILL');
			} catch {
				// already gone
			}
		}
		for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
	});
}

export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.unref();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address() as net.AddressInfo;
			srv.close(() => resolve(port));
		});
	});
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge(base: RawConfig, over: RawConfig): RawConfig {
	const out: RawConfig = { ...base };
	for (const [k, v] of Object.entries(over)) {
		if (v === null) delete out[k];
		else if (isPlainObject(v) && isPlainObject(out[k])) out[k] = deepMerge(out[k] as RawConfig, v);
		else out[k] = v;
	}
	return out;
}

export interface TestDataDir {
	dataDir: string;
	configPath: string;
	dbPath: string;
	privateKey: string;
	publicKey: string;
	config: RawConfig;
	port: number;
	/**
	 * Write the config again (another simulator after a restart; `config` merged over the first overrides;
	 * the data dir, keys and broker stay), to `file` (default `configPath`). Answers the file written.
	 */
	writeConfig(opts?: { simJson?: SimJson; config?: StartOptions['config']; file?: string }): Promise<string>;
	remove(): void;
}

/**
 * Where Spyre's Claude credential broker listens: on the simulator's bridge gateway (the only host address
 * its CTs reach) with that port exposed to CTs, else on a free loopback port (its URL follows the bound port).
 */
async function brokerListen(sim: SimJson | undefined): Promise<string> {
	if (!sim?.network) return '127.0.0.1:0';
	const port = await freePort();
	await setGatewayPorts(sim, [...sim.network.gatewayPorts, port]);
	return `${sim.network.gateway}:${port}`;
}

/** The Proxmox side of a test config: the simulator's, or a loopback port nothing listens on. */
async function proxmoxConfig(sim: SimJson | undefined, privateKey: string): Promise<RawConfig> {
	if (!sim) {
		return {
			proxmox: {
				// A free loopback port that nothing listens on: any Proxmox call fails fast with "connection
				// refused". (Not port 9: fetch refuses it outright as a "bad port".)
				url: `https://127.0.0.1:${await freePort()}`,
				node: 'pve',
				token_id: 'root@pam!spyre-test',
				token_secret: '00000000-0000-0000-0000-000000000000',
				tls: { fingerprint: Array.from({ length: 32 }, () => 'AB').join(':') },
				network: { mode: 'dhcp', cidr: '10.0.0.0/24' },
				request_timeout_ms: 2000
			}
		};
	}
	return {
		proxmox: {
			url: sim.url,
			node: sim.node,
			token_id: sim.tokenId,
			token_secret: sim.tokenSecret,
			tls: { fingerprint: sim.fingerprint },
			// Environments' addresses must lie in the simulator's bridge network (the address rule).
			network: { mode: 'dhcp', cidr: simCidr(sim) },
			// The quick form's default: the test template (it has tmux; the standard one would need a package proxy).
			defaults: { template: TEST_TEMPLATE },
			request_timeout_ms: 5000
		},
		ssh: { port: sim.sshPort, connect_timeout_ms: 5000 },
		...(sim.host
			? {
					proxmox_host_ssh: {
						host: sim.host.address,
						port: sim.host.port,
						user: sim.host.user ?? 'root',
						private_key_path: sim.host.privateKeyPath ?? privateKey
					}
				}
			: {})
	};
}

/**
 * Create a temp data dir with an ed25519 key pair and an environment.yaml for `port`: the one writer of test
 * configs, for the built server and for tests that run Spyre's modules in-process (`SPYRE_CONFIG` =
 * `configPath`). Pass `configText` to write arbitrary (e.g. invalid) YAML instead of the generated config.
 */
export async function makeDataDir(opts: { config?: StartOptions['config']; simJson?: SimJson; port?: number; configText?: string } = {}): Promise<TestDataDir> {
	installExitHook();
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-test-'));
	tempDirs.add(dataDir);
	const port = opts.port ?? (await freePort());
	const sshDir = path.join(dataDir, 'ssh');
	fs.mkdirSync(sshDir, { mode: 0o700 });
	const privateKey = path.join(sshDir, 'id_ed25519');
	execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'spyre-test', '-f', privateKey], { stdio: 'ignore' });
	const broker = await brokerListen(opts.simJson);
	const base: RawConfig = {
		server: { host: '127.0.0.1', port, public_url: `http://127.0.0.1:${port}`, data_dir: dataDir },
		ssh: { private_key_path: privateKey, public_key_path: `${privateKey}.pub` },
		claude: {
			config_dir: path.join(dataDir, 'claude'),
			// Tests never reach Anthropic: without a fake API, upstream is a loopback port nothing listens on.
			api_base_url: `http://127.0.0.1:${await freePort()}`,
			broker: { listen: broker }
		}
	};
	const build = async (sim: SimJson | undefined, overrides: StartOptions['config'] | undefined): Promise<RawConfig> => {
		const config = deepMerge(base, await proxmoxConfig(sim, privateKey));
		return overrides ? deepMerge(config, overrides as RawConfig) : config;
	};
	const config = await build(opts.simJson, opts.config);
	const configPath = path.join(dataDir, 'environment.yaml');
	fs.writeFileSync(configPath, opts.configText ?? stringify(config), { mode: 0o600 });
	const dbPath = (isPlainObject(config.database) && typeof config.database.path === 'string' && config.database.path) || path.join(dataDir, 'spyre.db');
	const data: TestDataDir = {
		dataDir,
		configPath,
		dbPath,
		privateKey,
		publicKey: `${privateKey}.pub`,
		config,
		port,
		async writeConfig(o = {}) {
			const file = o.file ?? configPath;
			const overrides = o.config ? deepMerge((opts.config ?? {}) as RawConfig, o.config as RawConfig) : opts.config;
			fs.writeFileSync(file, stringify(await build(o.simJson ?? opts.simJson, overrides)), { mode: 0o600 });
			return file;
		},
		remove() {
			fs.rmSync(dataDir, { recursive: true, force: true });
			tempDirs.delete(dataDir);
		}
	};
	return data;
}

/** Throws a clear error when `build/` is missing or older than the sources it is built from. */
export function assertBuilt(): void {
	const handler = path.join(REPO_ROOT, 'build', 'handler.js');
	if (!fs.existsSync(handler)) {
		throw new Error('build/handler.js is missing: run `npm run build` (npx vite build) before the integration and e2e tests.');
	}
	const builtAt = fs.statSync(handler).mtimeMs;
	const newest = newestMtime(path.join(REPO_ROOT, 'src'));
	if (newest > builtAt + 1000) {
		// Not fatal (another engineer may be mid-edit), but a stale build explains surprising failures.
		console.warn(`[spyre-test] build/ is older than src/ (by ${Math.round((newest - builtAt) / 1000)} s): consider \`npm run build\`.`);
	}
}

function newestMtime(dir: string): number {
	let newest = 0;
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		const p = path.join(dir, entry.name);
		if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
		else if (!entry.name.endsWith('.spec.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
	}
	return newest;
}

function commandFor(mode: 'built' | 'dev', port: number): string[] {
	if (mode === 'built') return [path.join(REPO_ROOT, 'server.js')];
	// Run Vite's CLI with node directly so that the PID we signal is Vite itself, not an npx wrapper.
	return [path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'dev', '--port', String(port), '--strictPort', '--host', '127.0.0.1'];
}

interface Spawned {
	child: ChildProcess;
	out: { stdout: string; stderr: string };
	exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnNode(args: string[], env: Record<string, string | undefined>): Spawned {
	installExitHook();
	const child = spawn(process.execPath, args, {
		cwd: REPO_ROOT,
		env: { ...process.env, ...env },
		// stdin stays an open pipe: Vite exits when its stdin ends.
		stdio: ['pipe', 'pipe', 'pipe']
	});
	live.add(child);
	const out = { stdout: '', stderr: '' };
	child.stdout!.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
	child.stderr!.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
	const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
		child.once('exit', (code, signal) => {
			live.delete(child);
			resolve({ code, signal });
		});
	});
	return { child, out, exited };
}

/** Run `node server.js` with a config and wait for it to exit by itself (for start-up failures). */
export async function runUntilExit(configPath: string, opts: { env?: Record<string, string>; timeoutMs?: number; port?: number } = {}): Promise<StopResult> {
	assertBuilt();
	const port = opts.port ?? (await freePort());
	const started = Date.now();
	const s = spawnNode(commandFor('built', port), { SPYRE_CONFIG: configPath, PORT: String(port), HOST: '127.0.0.1', ...opts.env });
	const timeout = opts.timeoutMs ?? 15_000;
	let timer: NodeJS.Timeout | undefined;
	const result = await Promise.race([s.exited, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeout)))]);
	clearTimeout(timer);
	if (result === null) {
		await killAndWait(s, 0);
		throw new Error(`server.js did not exit within ${timeout} ms\nstdout:\n${s.out.stdout}\nstderr:\n${s.out.stderr}`);
	}
	return { ...result, durationMs: Date.now() - started, ...s.out };
}

async function killAndWait(s: Spawned, graceMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
	const pid = s.child.pid;
	if (pid === undefined || s.child.exitCode !== null || s.child.signalCode !== null) return s.exited;
	try {
		process.kill(pid, graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
	} catch {
		return s.exited;
	}
	if (graceMs === 0) return s.exited;
	let timer: NodeJS.Timeout | undefined;
	const res = await Promise.race([s.exited, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), graceMs)))]);
	clearTimeout(timer);
	if (res) return res;
	try {
		process.kill(pid, 'SIGKILL');
	} catch {
		// exited in between
	}
	return s.exited;
}

async function waitForHealthy(url: string, s: Spawned, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	let last = '';
	while (Date.now() < deadline) {
		if (s.child.exitCode !== null || s.child.signalCode !== null) {
			throw new Error(`Spyre exited during start-up (code ${s.child.exitCode})\nstdout:\n${s.out.stdout}\nstderr:\n${s.out.stderr}`);
		}
		try {
			const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
			if (res.status === 200) return;
			last = `HTTP ${res.status}`;
		} catch (err) {
			last = (err as Error).message;
		}
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error(`Spyre did not become healthy within ${timeoutMs} ms (last: ${last})\nstdout:\n${s.out.stdout}\nstderr:\n${s.out.stderr}`);
}

export async function startSpyre(opts: StartOptions = {}): Promise<RunningSpyre> {
	const mode = opts.mode ?? 'built';
	if (mode === 'built') assertBuilt();
	const data = opts.reuse
		? {
				...opts.reuse,
				remove() {
					fs.rmSync(opts.reuse!.dataDir, { recursive: true, force: true });
					tempDirs.delete(opts.reuse!.dataDir);
				}
			}
		: await makeDataDir({ config: opts.config, simJson: opts.simJson });
	const url = `http://127.0.0.1:${data.port}`;
	let s: Spawned;
	try {
		s = spawnNode(commandFor(mode, data.port), {
			SPYRE_CONFIG: data.configPath,
			PORT: String(data.port),
			HOST: '127.0.0.1',
			...opts.env
		});
	} catch (err) {
		data.remove();
		throw err;
	}
	let stopped: Promise<StopResult> | null = null;
	const stop: RunningSpyre['stop'] = (stopOpts = {}) => {
		stopped ??= (async () => {
			const t0 = Date.now();
			const alreadyExited = s.child.exitCode !== null || s.child.signalCode !== null;
			try {
				const { code, signal } = await killAndWait(s, 8000);
				const result: StopResult = { code, signal, durationMs: alreadyExited ? 0 : Date.now() - t0, ...s.out };
				await stopOpts.beforeCleanup?.(data.dataDir);
				return result;
			} finally {
				if (!stopOpts.keepData) data.remove();
			}
		})();
		return stopped;
	};
	try {
		await waitForHealthy(url, s, opts.readyTimeoutMs ?? (mode === 'dev' ? 60_000 : 20_000));
	} catch (err) {
		await stop();
		throw err;
	}
	return {
		url,
		port: data.port,
		dataDir: data.dataDir,
		configPath: data.configPath,
		dbPath: data.dbPath,
		pid: s.child.pid!,
		output: () => ({ ...s.out }),
		stop
	};
}

// ---------------------------------------------------------------------------------------------------
// HTTP helpers

/** `name=value` of the session cookie from a response's Set-Cookie headers, or null. */
export function sessionCookieFrom(res: Response): string | null {
	for (const header of res.headers.getSetCookie()) {
		const [pair] = header.split(';');
		const eq = pair.indexOf('=');
		if (pair.slice(0, eq).trim() === SESSION_COOKIE && pair.slice(eq + 1).trim() !== '') return pair.trim();
	}
	return null;
}

/** The full Set-Cookie header for the session cookie (to check its attributes). */
export function sessionSetCookie(res: Response): string | undefined {
	return res.headers.getSetCookie().find((h) => h.startsWith(`${SESSION_COOKIE}=`));
}

/**
 * POST a form as a browser without JavaScript would: url-encoded, same-site Origin (SvelteKit refuses
 * cross-site form posts), no redirect following.
 */
export async function postForm(
	baseUrl: string,
	pathname: string,
	fields: Record<string, string>,
	opts: { cookie?: string; origin?: string | null; headers?: Record<string, string> } = {}
): Promise<Response> {
	// Accept text/html like a browser: with fetch's default */* SvelteKit answers form actions with JSON.
	const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', ...opts.headers };
	if (opts.origin !== null) headers.origin = opts.origin ?? new URL(baseUrl).origin;
	if (opts.cookie) headers.cookie = opts.cookie;
	return fetch(new URL(pathname, baseUrl), { method: 'POST', headers, body: new URLSearchParams(fields).toString(), redirect: 'manual' });
}

export function get(baseUrl: string, pathname: string, cookie?: string): Promise<Response> {
	return fetch(new URL(pathname, baseUrl), { redirect: 'manual', headers: cookie ? { cookie } : {} });
}

/** Create the first admin through /setup; returns `__Host-spyre_session=<token>`. */
export async function setupAdmin(url: string, username: string, password: string): Promise<string> {
	const res = await postForm(url, '/setup', { username, password, confirm: password });
	const cookie = sessionCookieFrom(res);
	if (res.status !== 303 || !cookie) {
		throw new Error(`/setup failed: HTTP ${res.status} ${(await res.text()).slice(0, 500)}`);
	}
	return cookie;
}

/** Sign in through /login; returns `__Host-spyre_session=<token>`. */
export async function login(url: string, username: string, password: string): Promise<string> {
	const res = await postForm(url, '/login', { username, password });
	const cookie = sessionCookieFrom(res);
	if (res.status !== 303 || !cookie) {
		throw new Error(`/login failed: HTTP ${res.status}`);
	}
	return cookie;
}

// ---------------------------------------------------------------------------------------------------
// /api/events

export interface EventMessage {
	type: string;
	seq?: number;
	ts?: number;
	data?: unknown;
	code?: string;
	message?: string;
}

export interface EventsClient {
	ws: WebSocket;
	/** Every message received so far, parsed. */
	messages: EventMessage[];
	/** Resolves with the first message (already received or future) matching `pred`. */
	waitFor(pred: (m: EventMessage) => boolean, timeoutMs?: number): Promise<EventMessage>;
	/** Resolves when the socket closes. */
	closed: Promise<{ code: number; reason: string }>;
	close(): void;
}

/** The HTTP status of a refused upgrade. */
export class UpgradeRefused extends Error {
	constructor(
		readonly status: number,
		readonly body: string
	) {
		super(`WebSocket upgrade refused: HTTP ${status}`);
	}
}

function wsUrl(url: string, pathname: string): string {
	const u = new URL(pathname, url);
	u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
	return u.toString();
}

/**
 * Open /api/events (optionally `?after=SEQ`). Resolves once open; rejects with UpgradeRefused when the
 * server answers the upgrade with an HTTP status. `origin: null` sends no Origin (like a script).
 */
export function openEvents(url: string, cookie?: string | null, after?: number | string, opts: { origin?: string | null; path?: string } = {}): Promise<EventsClient> {
	const pathname = (opts.path ?? '/api/events') + (after === undefined ? '' : `?after=${after}`);
	const headers: Record<string, string> = {};
	if (cookie) headers.cookie = cookie;
	const origin = opts.origin === undefined ? new URL(url).origin : opts.origin;
	const ws = new WebSocket(wsUrl(url, pathname), { headers, ...(origin !== null ? { origin } : {}) });
	// A permanent listener: ws emits 'error' more than once around refused or aborted handshakes.
	ws.on('error', () => {});
	const messages: EventMessage[] = [];
	const waiters = new Set<{ pred: (m: EventMessage) => boolean; resolve: (m: EventMessage) => void }>();
	ws.on('message', (raw) => {
		let m: EventMessage;
		try {
			m = JSON.parse(raw.toString());
		} catch {
			m = { type: '(unparseable)', message: raw.toString() };
		}
		messages.push(m);
		for (const w of [...waiters]) {
			if (w.pred(m)) {
				waiters.delete(w);
				w.resolve(m);
			}
		}
	});
	const closed = new Promise<{ code: number; reason: string }>((resolve) => {
		ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
	});
	const client: EventsClient = {
		ws,
		messages,
		closed,
		close: () => ws.close(1000),
		waitFor(pred, timeoutMs = 5000) {
			const found = messages.find(pred);
			if (found) return Promise.resolve(found);
			return new Promise((resolve, reject) => {
				const w = {
					pred,
					resolve: (m: EventMessage) => {
						clearTimeout(timer);
						resolve(m);
					}
				};
				const timer = setTimeout(() => {
					waiters.delete(w);
					reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
				}, timeoutMs);
				waiters.add(w);
			});
		}
	};
	return new Promise((resolve, reject) => {
		ws.once('open', () => resolve(client));
		ws.once('unexpected-response', (_req, res: http.IncomingMessage) => {
			let body = '';
			res.setEncoding('utf8');
			res.on('data', (d: string) => (body += d));
			res.on('end', () => {
				reject(new UpgradeRefused(res.statusCode ?? 0, body));
				ws.terminate();
			});
			res.on('error', () => reject(new UpgradeRefused(res.statusCode ?? 0, body)));
		});
		ws.once('error', (err) => reject(err));
	});
}

/** Try an upgrade and return the HTTP status it was refused with (101 if it was accepted, then closed). */
export async function upgradeStatus(url: string, cookie?: string | null, opts: { origin?: string | null; path?: string } = {}): Promise<number> {
	try {
		const c = await openEvents(url, cookie, undefined, opts);
		c.ws.terminate();
		return 101;
	} catch (err) {
		if (err instanceof UpgradeRefused) return err.status;
		throw err;
	}
}
