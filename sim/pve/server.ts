// Wiring: builds the state store, tasks, CT runtime, host sshd, control endpoint and the HTTPS API, writes
// DIR/sim.json, and tears everything down again. `startSimulator` is the programmatic entry; main.ts
// is the CLI around it.
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { join, resolve } from 'node:path';
import { checkNode, routes } from './api';
import { applyFaults, defaultFaults, FaultError, startControl } from './control';
import { startHost, type HostInfo, type RunningHost } from './host';
import { createApiHandler, type AuthResult } from './http';
import { CtClone } from './ct-clone';
import { CtCreate } from './ct-create';
import { CtDestroy } from './ct-destroy';
import { CtPower } from './ct-power';
import { CtView } from './ct-view';
import { Lxc } from './lxc';
import { parsePorts, SimNetwork, type NetworkInfo } from './network';
import { ensureHelper } from './native';
import { Snapshots } from './snapshots';
import { DEFAULT_TEMPLATES_DIR } from './storage';
import type { Privileges } from './privileges';
import { StateStore, type SimState } from './state';
import { Tasks } from './tasks';
import { loadOrCreateTls } from './tls';

export interface SimOptions {
	stateDir: string;
	port?: number;
	host?: string;
	nodes?: string[];
	sshPort?: number;
	authDelayMs?: number;
	controlPort?: number;
	/** The templates dir (storage.ts DEFAULT_TEMPLATES_DIR when absent). */
	templatesDir?: string;
	/** Private range the node's bridge takes its /24 from (network.ts DEFAULT_RANGE). */
	netRange?: string;
	/** TCP ports of the bridge's gateway address that CTs may reach. */
	gatewayPorts?: number[];
	privileges: Privileges;
	log?: (msg: string) => void;
}

export interface SimJson {
	url: string;
	node: string;
	nodes: string[];
	tokenId: string;
	tokenSecret: string;
	fingerprint: string;
	sshPort: number;
	host: HostInfo;
	/** `secret` goes in `Authorization: Bearer <secret>` on every control request. */
	control: { url: string; secret: string };
	certPath: string;
	stateDir: string;
	pid: number;
	/** The node's bridge; absent in non-root mode (CTs on loopback addresses, no network of their own). */
	network?: NetworkInfo;
}

export interface RunningSimulator {
	url: string;
	simJson: SimJson;
	stop(): Promise<void>;
}

export const TOKEN_USER = 'root@pam!spyre';

export function authenticate(header: string | undefined, tokenUser: string, secret: string): AuthResult {
	if (!header) return 'missing';
	const m = /^PVEAPIToken[=\s]+(\S+)$/.exec(header.trim());
	if (!m) return 'missing';
	return m[1] === `${tokenUser}=${secret}` ? 'ok' : 'wrong';
}

export async function startSimulator(opts: SimOptions): Promise<RunningSimulator> {
	const log = opts.log ?? ((m: string) => console.error(m));
	const stateDir = resolve(opts.stateDir);
	// CTs and the host mount a fresh tmpfs on /run before they bind the state dir, so it cannot live there.
	if (stateDir === '/run' || stateDir.startsWith('/run/') || stateDir.startsWith('/var/run/')) throw new Error(`--state must not be under /run (got ${stateDir})`);
	// It carries the CTs' overlay layers, whose mount options cannot hold these characters.
	if (/[,:\\\s]/.test(stateDir)) throw new Error(`--state must not contain commas, colons, backslashes or spaces (got ${stateDir})`);
	const nodes = opts.nodes && opts.nodes.length > 0 ? opts.nodes : ['pve'];
	const listenHost = opts.host ?? '127.0.0.1';
	if (!/^127\./.test(listenHost) && listenHost !== 'localhost') throw new Error(`--host must be a loopback address, got ${listenHost}`);
	const sshPort = opts.sshPort ?? opts.privileges.defaultSshPort;
	const store = new StateStore(stateDir, nodes[0]);
	for (const c of Object.values(store.state.cts)) if (!nodes.includes(c.node)) log(`pve-sim: CT ${c.vmid} belongs to node '${c.node}', which is not in --nodes; it stays invisible`);
	const tls = loadOrCreateTls(stateDir, nodes[0]);
	const tasks = new Tasks(store, TOKEN_USER);
	const faults = defaultFaults();
	// In non-root mode CTs keep the legacy layout (no own rootfs), so no helper is needed.
	const helper = opts.privileges.userns ? '' : await ensureHelper(stateDir);
	const runtime = { stateDir, sshPort, userns: opts.privileges.userns, helper, templatesDir: resolve(opts.templatesDir ?? DEFAULT_TEMPLATES_DIR) };
	const cleanups: (() => Promise<void>)[] = [];
	const stopAll = async () => {
		for (const c of cleanups.reverse()) await c().catch((e: unknown) => log(`pve-sim: cleanup: ${String(e)}`));
		cleanups.length = 0;
	};
	// As root every CT gets a network namespace on the node's bridge; without root CTs stay on loopback.
	const net = opts.privileges.userns ? undefined : await SimNetwork.open({ stateDir, range: opts.netRange, gatewayPorts: opts.gatewayPorts, log });
	if (net) cleanups.push(() => net.close());
	const lxc = new Lxc(store, tasks, faults, runtime, net);
	const view = new CtView(lxc);
	const power = new CtPower(lxc);
	const startedAt = Date.now();
	// New at every start; only sim.json (0600) carries it.
	const controlSecret = randomBytes(24).toString('base64url');
	let simJson: SimJson | undefined;
	const simJsonPath = join(stateDir, 'sim.json');
	const writeSimJson = (j: SimJson) => {
		writeFileSync(`${simJsonPath}.tmp`, `${JSON.stringify(j, null, 2)}\n`, { mode: 0o600 });
		rmSync(simJsonPath, { force: true });
		writeFileSync(simJsonPath, `${JSON.stringify(j, null, 2)}\n`, { mode: 0o600 });
		rmSync(`${simJsonPath}.tmp`, { force: true });
	};
	try {
		lxc.addresses.adoptNetwork(log);
		const host: RunningHost = await startHost({ stateDir, node: nodes[0], sshPort, userns: opts.privileges.userns });
		cleanups.push(() => host.stop());
		cleanups.push(() => lxc.stopAll());
		await lxc.resume(log);

		const requestCounts = new Map<string, number>();
		const snapshots = new Snapshots(store, lxc, view, stateDir);
		const deps = {
			store,
			lxc,
			view,
			create: new CtCreate(lxc, power),
			power,
			destroy: new CtDestroy(lxc),
			clone: new CtClone(lxc, nodes),
			snapshots,
			tasks,
			faults,
			nodes,
			fingerprint: tls.fingerprint,
			tokenUser: TOKEN_USER,
			startedAt,
			maxcpu: 16,
			maxmem: 64 * 1024 ** 3,
			maxdisk: 1024 ** 4
		};
		const handler = createApiHandler({
			routes: routes(deps),
			authenticate: (h) => authenticate(h, TOKEN_USER, store.state.tokenSecret),
			authDelayMs: opts.authDelayMs ?? 3000,
			beforeAll: async () => {
				if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
			},
			beforeRoute: (p) => checkNode(deps, p),
			onRequest: (endpoint) => requestCounts.set(endpoint, (requestCounts.get(endpoint) ?? 0) + 1)
		});
		const server: Server = createServer({ cert: tls.cert, key: tls.key }, handler);
		server.keepAliveTimeout = 5000;
		await new Promise<void>((res, rej) => {
			server.once('error', rej);
			server.listen({ host: listenHost, port: opts.port ?? 8006 }, () => res());
		});
		cleanups.push(() => closeServer(server));
		const apiPort = (server.address() as AddressInfo).port;

		const control: HttpServer = await startControl(
			faults,
			{
				lock: (vmid, l) => wrap(() => lxc.setLock(vmid, l)),
				unlock: (vmid) => wrap(() => lxc.setLock(vmid, undefined)),
				killSshd: (vmid) => wrap(() => lxc.killSshd(vmid)),
				nodes: () => nodes,
				requests: () => Object.fromEntries(requestCounts),
				state: () => ({ ...publicState(store.state), runtime: Object.fromEntries(Object.keys(store.state.cts).map((v) => [v, { initPid: lxc.initPid(Number(v)), netMs: lxc.netMs(Number(v)) }])) }),
				network: () => net?.info() ?? null,
				setGatewayPorts: async (ports) => {
					if (!net) throw new FaultError('this simulator has no bridge (non-root mode)');
					let list: number[];
					try {
						list = parsePorts(ports, 'gatewayPorts');
					} catch (err) {
						throw new FaultError(err instanceof Error ? err.message : String(err));
					}
					await net.setGatewayPorts(list, lxc.runningInitPids());
					if (simJson) writeSimJson((simJson = { ...simJson, network: net.info() }));
					return net.info();
				}
			},
			opts.controlPort ?? 0,
			controlSecret
		);
		cleanups.push(() => closeServer(control));
		const controlPort = (control.address() as AddressInfo).port;

		const url = `https://${listenHost === 'localhost' ? '127.0.0.1' : listenHost}:${apiPort}`;
		simJson = {
			url,
			node: nodes[0],
			nodes,
			tokenId: TOKEN_USER,
			tokenSecret: store.state.tokenSecret,
			fingerprint: tls.fingerprint,
			sshPort,
			host: host.info,
			control: { url: `http://127.0.0.1:${controlPort}`, secret: controlSecret },
			certPath: tls.certPath,
			stateDir,
			pid: process.pid,
			...(net ? { network: net.info() } : {})
		};
		writeSimJson(simJson);
		const current = simJson;
		return {
			url,
			get simJson() {
				return simJson ?? current;
			},
			stop: async () => {
				await stopAll();
				store.save();
			}
		};
	} catch (err) {
		await stopAll();
		throw err;
	}
}

/** The state as the control endpoint shows it: everything but the API token's secret. */
function publicState(state: SimState): Omit<SimState, 'tokenSecret'> {
	const { tokenSecret: _secret, ...rest } = state;
	return rest;
}

function wrap<T>(fn: () => T): T {
	try {
		return fn();
	} catch (err) {
		throw new FaultError(err instanceof Error ? err.message : String(err));
	}
}

function closeServer(s: { close(cb: () => void): void; closeAllConnections?: () => void }): Promise<void> {
	return new Promise((res) => {
		s.close(() => res());
		s.closeAllConnections?.();
	});
}

export { applyFaults };
