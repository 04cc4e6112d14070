// Test helper for the Proxmox VE simulator (sim/pve): start it as a child process on a free port with
// its own state dir, talk to its API (pinned to its own CA) and its control endpoint, and stop it by PID.
// Every test that calls startSim must call stop() in afterAll/finally, even when it fails.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killProcessesNaming } from './processes';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

// sim.json as the simulator writes it (sim/pve/server.ts): one type for tests, benchmarks and scripts.
export type { SimJson } from '../../sim/pve/server';
export type { NetworkInfo as SimNetwork } from '../../sim/pve/network';
import type { SimJson } from '../../sim/pve/server';
import type { NetworkInfo as SimNetwork } from '../../sim/pve/network';

export interface StartSimOptions {
	nodes?: string[];
	/** Delay before a 401 (the real API waits ~3 s); tests default to 50 ms. */
	authDelayMs?: number;
	/** Reuse a state dir (restart); a fresh temp dir when omitted. */
	stateDir?: string;
	extraArgs?: string[];
	/** TCP ports of the bridge's gateway that CTs may reach (`--gateway-ports`; setGatewayPorts changes them later). */
	gatewayPorts?: number[];
	timeoutMs?: number;
}

export interface RunningSim {
	simJson: SimJson;
	stateDir: string;
	pid: number;
	/** SIGTERM by PID, wait for exit (SIGKILL after 5 s), then remove the state dir unless `keep`. */
	stop(opts?: { keep?: boolean }): Promise<void>;
	/** Output the simulator wrote so far (stdout + stderr), for failure messages. */
	output(): string;
}

const liveSims = new Set<number>();
let simExitHook = false;

/**
 * Last resort when a runner exits without stop() (a benchmark interrupted with Ctrl-C exits through
 * process.exit): SIGTERM each simulator still running, which stops its CTs on its way out.
 */
function stopSimsAtExit(pid: number): void {
	if (!simExitHook) {
		simExitHook = true;
		process.once('exit', () => {
			for (const p of liveSims) {
				try {
					process.kill(p, 'SIGTERM');
				} catch {
					// already gone
				}
			}
		});
	}
	liveSims.add(pid);
}

export async function startSim(opts: StartSimOptions = {}): Promise<RunningSim> {
	const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'pve-sim-test-'));
	const args = [
		'--import',
		'tsx',
		join(REPO_ROOT, 'sim/pve/main.ts'),
		'--port',
		'0',
		'--state',
		stateDir,
		'--auth-delay-ms',
		String(opts.authDelayMs ?? 50),
		'--nodes',
		(opts.nodes ?? ['pve']).join(','),
		...(opts.gatewayPorts?.length ? ['--gateway-ports', opts.gatewayPorts.join(',')] : []),
		...(opts.extraArgs ?? [])
	];
	const child: ChildProcess = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
	child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
	const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
	let done = false;
	if (child.pid) stopSimsAtExit(child.pid);
	void exited.then(() => {
		done = true;
		if (child.pid) liveSims.delete(child.pid);
	});

	const stop = async (o: { keep?: boolean } = {}) => {
		if (!done && child.pid) {
			process.kill(child.pid, 'SIGTERM');
			const t = setTimeout(() => {
				if (!done && child.pid) process.kill(child.pid, 'SIGKILL');
			}, 5000);
			await exited;
			clearTimeout(t);
		}
		// A simulator killed hard (slow to stop on a busy machine) cannot stop its CTs and its Proxmox host's
		// sshd: whatever still names its state directory is killed by PID.
		killProcessesNaming(`${stateDir}/`);
		if (!o.keep) rmSync(stateDir, { recursive: true, force: true });
	};

	const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
	while (!out.includes('pve-sim listening on ')) {
		if (done || Date.now() > deadline) {
			await stop();
			throw new Error(`pve-sim did not start: ${out.trim() || '(no output)'}`);
		}
		await new Promise((r) => setTimeout(r, 25));
	}
	const simJson = JSON.parse(readFileSync(join(stateDir, 'sim.json'), 'utf8')) as SimJson;
	if (simJson.pid !== child.pid) {
		await stop();
		throw new Error(`sim.json belongs to pid ${simJson.pid}, expected ${child.pid}`);
	}
	return { simJson, stateDir, pid: child.pid as number, stop, output: () => out };
}

export interface PveResponse<T = unknown> {
	status: number;
	statusText: string;
	headers: Record<string, string | string[] | undefined>;
	/** Parsed JSON body, or null for an empty body. */
	body: { data: T; message?: string; errors?: Record<string, string>; total?: number; [k: string]: unknown } | null;
	raw: string;
	ms: number;
	peerFingerprint?: string;
}

export interface PveRequestOptions {
	query?: Record<string, string | number>;
	form?: Record<string, string | number>;
	/** A raw form body (to test `;` separators and encodings). */
	rawForm?: string;
	json?: Record<string, unknown>;
	/** Override the Authorization header; null sends none. */
	auth?: string | null;
	/** A body for any method (to test `Unexpected content`). */
	body?: string;
}

export function authHeader(sim: SimJson): string {
	return `PVEAPIToken=${sim.tokenId}=${sim.tokenSecret}`;
}

/** One API call under /api2/json, TLS-verified against the simulator's own certificate. */
export function pveRequest<T = unknown>(sim: SimJson, method: string, path: string, o: PveRequestOptions = {}): Promise<PveResponse<T>> {
	const url = new URL(`${sim.url}/api2/json${path}`);
	for (const [k, v] of Object.entries(o.query ?? {})) url.searchParams.set(k, String(v));
	let body: string | undefined = o.body;
	const headers: Record<string, string> = {};
	if (o.form) {
		body = new URLSearchParams(Object.entries(o.form).map(([k, v]) => [k, String(v)])).toString();
		headers['Content-Type'] = 'application/x-www-form-urlencoded';
	} else if (o.rawForm !== undefined) {
		body = o.rawForm;
		headers['Content-Type'] = 'application/x-www-form-urlencoded';
	} else if (o.json) {
		body = JSON.stringify(o.json);
		headers['Content-Type'] = 'application/json';
	}
	const auth = o.auth === undefined ? authHeader(sim) : o.auth;
	if (auth !== null) headers.Authorization = auth;
	if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
	const ca = readFileSync(sim.certPath);
	const t0 = Date.now();
	return new Promise((resolve, reject) => {
		const req = request(url, { method, headers, ca, agent: false }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () => {
				const raw = Buffer.concat(chunks).toString('utf8');
				const sock = res.socket as import('node:tls').TLSSocket;
				resolve({
					status: res.statusCode ?? 0,
					statusText: res.statusMessage ?? '',
					headers: res.headers,
					body: raw === '' ? null : JSON.parse(raw),
					raw,
					ms: Date.now() - t0,
					peerFingerprint: sock.getPeerCertificate?.()?.fingerprint256
				});
			});
		});
		req.on('error', reject);
		if (body !== undefined) req.write(body);
		req.end();
	});
}

/** Poll a task until it has stopped; returns its final status. */
export async function waitTask(sim: SimJson, upid: string, timeoutMs = 30_000): Promise<{ status: string; exitstatus?: string; [k: string]: unknown }> {
	const node = upid.split(':')[1];
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const r = await pveRequest<{ status: string; exitstatus?: string }>(sim, 'GET', `/nodes/${node}/tasks/${encodeURIComponent(upid)}/status`);
		if (r.status !== 200) throw new Error(`task status ${r.status} ${r.statusText}`);
		if (r.body?.data.status === 'stopped') return r.body.data;
		if (Date.now() > deadline) throw new Error(`task ${upid} still running after ${timeoutMs} ms`);
		await new Promise((res) => setTimeout(res, 100));
	}
}

export async function taskLog(sim: SimJson, upid: string): Promise<string[]> {
	const node = upid.split(':')[1];
	const r = await pveRequest<{ n: number; t: string }[]>(sim, 'GET', `/nodes/${node}/tasks/${encodeURIComponent(upid)}/log`, { query: { limit: 1000 } });
	return (r.body?.data ?? []).map((l) => l.t);
}

/** A request to the control endpoint (`path` like `/state`), with its secret from sim.json. */
export function controlFetch(sim: SimJson, path: string, init: { method?: string; body?: string } = {}): Promise<Response> {
	const headers: Record<string, string> = { Authorization: `Bearer ${sim.control.secret}` };
	if (init.body !== undefined) headers['Content-Type'] = 'application/json';
	return fetch(`${sim.control.url}${path}`, { method: init.method ?? 'GET', headers, body: init.body });
}

/** GET a control endpoint's JSON (`/state`, `/faults`, `/requests`). */
export async function controlGet<T = Record<string, unknown>>(sim: SimJson, path: string): Promise<T> {
	const res = await controlFetch(sim, path);
	if (!res.ok) throw new Error(`control ${path}: ${res.status}`);
	return (await res.json()) as T;
}

/** POST a fault body to the control endpoint. */
export async function control(sim: SimJson, body: Record<string, unknown>): Promise<Record<string, unknown>> {
	const res = await controlFetch(sim, '/faults', { method: 'POST', body: JSON.stringify(body) });
	const json = (await res.json()) as Record<string, unknown>;
	if (!res.ok) throw new Error(`control ${res.status}: ${JSON.stringify(json)}`);
	return json;
}

/** The simulator's bridge; every test that needs CT networking runs against a root simulator, which has one. */
export function simNetwork(sim: SimJson): SimNetwork {
	if (!sim.network) throw new Error('this simulator has no bridge (not running as root)');
	return sim.network;
}

/**
 * The network to give Spyre as `proxmox.network.cidr`: the simulator's bridge. Spyre refuses loopback CT
 * addresses, so a simulator without a bridge cannot back tests that bring environments up.
 */
export function simCidr(sim: SimJson): string {
	return sim.network?.cidr ?? '10.213.0.0/16';
}

/** True when `ip` is an address on the simulator's bridge (a CT's, not the gateway's). */
export function onBridge(sim: SimJson, ip: string): boolean {
	const net = simNetwork(sim);
	const [base] = net.cidr.split('/');
	const prefix = base.split('.').slice(0, 3).join('.');
	return ip.startsWith(`${prefix}.`) && ip !== net.gateway && /^\d+\.\d+\.\d+\.\d+$/.test(ip);
}

/** Replace the gateway ports CTs may reach (running CTs too); returns the bridge as the simulator now has it. */
export async function setGatewayPorts(sim: SimJson, ports: number[]): Promise<SimNetwork> {
	const res = await controlFetch(sim, '/network', { method: 'POST', body: JSON.stringify({ gatewayPorts: ports }) });
	const json = (await res.json()) as SimNetwork & { error?: string };
	if (!res.ok) throw new Error(`control /network ${res.status}: ${JSON.stringify(json)}`);
	sim.network = json;
	return json;
}

export interface ExecResult {
	code: number;
	stdout: string;
	stderr: string;
}

/** Arguments for the system ssh client as root@address, non-interactive, no host-key checks. */
export function sshArgs(key: string, address: string, port: number, command: string[], tty = false): string[] {
	return [
		...(tty ? ['-tt'] : []),
		'-i',
		key,
		'-o',
		'StrictHostKeyChecking=no',
		'-o',
		'UserKnownHostsFile=/dev/null',
		'-o',
		'BatchMode=yes',
		'-o',
		'LogLevel=ERROR',
		'-o',
		'ConnectTimeout=5',
		'-p',
		String(port),
		`root@${address}`,
		...command
	];
}

/** Run the system ssh client non-interactively (no host-key checks: the simulator's keys are throwaway). */
export function ssh(key: string, address: string, port: number, command: string, timeoutMs = 20_000): Promise<ExecResult> {
	const args = sshArgs(key, address, port, [command]);
	return new Promise((resolve) => {
		execFile('ssh', args, { timeout: timeoutMs }, (err, stdout, stderr) => {
			const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 255) : 0;
			resolve({ code, stdout, stderr });
		});
	});
}

/** A fresh ed25519 key pair in a temp dir: { dir, key, pub }. Remove `dir` when done. */
export function makeKey(): Promise<{ dir: string; key: string; pub: string }> {
	const dir = mkdtempSync(join(tmpdir(), 'pve-sim-key-'));
	const key = join(dir, 'id_ed25519');
	return new Promise((resolve, reject) => {
		execFile('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'pve-sim-test', '-f', key], (err) => {
			if (err) reject(err);
			else resolve({ dir, key, pub: readFileSync(`${key}.pub`, 'utf8').trim() });
		});
	});
}

/** Address of a CT's sshd, read from the simulator's /interfaces answer (eth0 inet). */
export async function ctAddress(sim: SimJson, node: string, vmid: number): Promise<string> {
	const r = await pveRequest<{ name: string; inet?: string }[] | null>(sim, 'GET', `/nodes/${node}/lxc/${vmid}/interfaces`);
	const eth0 = r.body?.data?.find((i) => i.name === 'eth0');
	if (!eth0?.inet) throw new Error(`CT ${vmid} has no eth0 address: ${r.raw}`);
	return eth0.inet.split('/')[0];
}
