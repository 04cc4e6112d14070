// Conformance of the simulator's fault switches (control endpoint) and of multi-node behaviour.
import { rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { control, controlFetch, controlGet, ctAddress, makeKey, onBridge, pveRequest, ssh, startSim, taskLog, waitTask, type RunningSim, type SimJson } from '../helpers/sim';
import { TEST_TEMPLATE } from '../helpers/templates';

const DEBIAN = TEST_TEMPLATE;

let run: RunningSim;
let sim: SimJson;
let key: { dir: string; key: string; pub: string };

beforeAll(async () => {
	key = await makeKey();
	run = await startSim({ nodes: ['pve', 'pve2'] });
	sim = run.simJson;
});
afterAll(async () => {
	await run?.stop();
	if (key) rmSync(key.dir, { recursive: true, force: true });
});

const api = <T = unknown>(method: string, path: string, o: Parameters<typeof pveRequest>[3] = {}) => pveRequest<T>(sim, method, path, o);
async function createCt(node: string, vmid: number, extra: Record<string, string | number> = {}): Promise<string> {
	const r = await api<string>('POST', `/nodes/${node}/lxc`, { form: { vmid, hostname: `ct${vmid}`, ostemplate: DEBIAN, rootfs: 'local-lvm:2', 'ssh-public-keys': key.pub, ...extra } });
	expect(r.status, r.statusText).toBe(200);
	return r.body?.data as string;
}
async function startCt(node: string, vmid: number): Promise<void> {
	const r = await api<string>('POST', `/nodes/${node}/lxc/${vmid}/status/start`);
	expect(await waitTask(sim, r.body?.data as string)).toMatchObject({ exitstatus: 'OK' });
}
const status = async (node: string, vmid: number) => (await api<{ status: string }>('GET', `/nodes/${node}/lxc/${vmid}/status/current`)).body?.data.status;

describe('fault switches', () => {
	beforeAll(async () => {
		await waitTask(sim, await createCt('pve', 130));
		await startCt('pve', 130);
	});

	it('GET /faults shows the defaults; a malformed body is refused', async () => {
		const f = await controlGet(sim, '/faults');
		expect(f).toMatchObject({ latencyMs: 0, failNext: {}, offlineNodes: [] });
		const bad = await controlFetch(sim, '/faults', { method: 'POST', body: JSON.stringify({ failNext: { type: 'nope' } }) });
		expect(bad.status).toBe(400);
	});

	it('latencyMs delays every API call', async () => {
		await control(sim, { latencyMs: 300 });
		const r = await api('GET', '/version');
		expect(r.ms).toBeGreaterThanOrEqual(290);
		await control(sim, { latencyMs: 0 });
		expect((await api('GET', '/version')).ms).toBeLessThan(250);
	});

	it('counts API calls per endpoint template on GET /requests', async () => {
		const read = async () => await controlGet<Record<string, number>>(sim, '/requests');
		const before = await read();
		await api('GET', '/cluster/resources?type=vm');
		await api('GET', '/cluster/resources?type=vm');
		await api('GET', '/nodes/pve/lxc');
		const after = await read();
		expect(after['GET /cluster/resources'] - (before['GET /cluster/resources'] ?? 0)).toBe(2);
		expect(after['GET /nodes/{node}/lxc'] - (before['GET /nodes/{node}/lxc'] ?? 0)).toBe(1);
	});

	it('failNext vzcreate fails the create with the message and removes the CT', async () => {
		await control(sim, { failNext: { type: 'vzcreate', message: 'no space left on device' } });
		const t = await waitTask(sim, await createCt('pve', 131));
		expect(t.exitstatus).toBe('unable to create CT 131 - no space left on device');
		expect((await api('GET', '/nodes/pve/lxc/131/status/current')).status).toBe(500);
		// one-shot: the next create works
		expect(await waitTask(sim, await createCt('pve', 131))).toMatchObject({ exitstatus: 'OK' });
	});

	it('failNext vzstart with start=1: create ends OK while the start task fails', async () => {
		await control(sim, { failNext: { type: 'vzstart', message: "startup for container '132' failed" } });
		const upid = await createCt('pve', 132, { start: 1 });
		expect(await waitTask(sim, upid)).toMatchObject({ exitstatus: 'OK' });
		let start: { upid: string; status?: string } | undefined;
		for (let i = 0; i < 50; i++) {
			start = ((await api<{ upid: string; status?: string }[]>('GET', '/nodes/pve/tasks', { query: { vmid: 132, typefilter: 'vzstart' } })).body?.data ?? [])[0];
			if (start?.status) break;
			await new Promise((res) => setTimeout(res, 100));
		}
		expect(start?.status).toBe("startup for container '132' failed");
		expect(await status('pve', 132)).toBe('stopped');
	});

	it('failNext vzstop and vzshutdown', async () => {
		await control(sim, { failNext: { type: 'vzstop', message: 'simulated stop failure' } });
		const stop = await api<string>('POST', '/nodes/pve/lxc/130/status/stop');
		expect((await waitTask(sim, stop.body?.data as string)).exitstatus).toBe('simulated stop failure');
		expect(await status('pve', 130)).toBe('running');
		await control(sim, { failNext: { type: 'vzshutdown', message: 'simulated shutdown failure' } });
		const shut = await api<string>('POST', '/nodes/pve/lxc/130/status/shutdown');
		expect((await waitTask(sim, shut.body?.data as string)).exitstatus).toBe('simulated shutdown failure');
		expect(await status('pve', 130)).toBe('running');
	});

	it('lock makes mutating calls fail with CT is locked; unlock clears it', async () => {
		await control(sim, { lock: { vmid: 130, lock: 'backup' } });
		expect((await api<Record<string, unknown>>('GET', '/nodes/pve/lxc/130/config')).body?.data.lock).toBe('backup');
		expect((await api<Record<string, unknown>>('GET', '/nodes/pve/lxc/130/status/current')).body?.data.lock).toBe('backup');
		for (const [m, p] of [
			['POST', '/nodes/pve/lxc/130/status/stop'],
			['POST', '/nodes/pve/lxc/130/status/shutdown'],
			['DELETE', '/nodes/pve/lxc/130']
		] as const) {
			const r = await api(m, p, m === 'DELETE' ? { query: { force: 1 } } : {});
			expect(r.status).toBe(500);
			expect(r.statusText).toBe('CT is locked (backup)');
		}
		await control(sim, { unlock: { vmid: 130 } });
		expect((await api<Record<string, unknown>>('GET', '/nodes/pve/lxc/130/config')).body?.data.lock).toBeUndefined();
	});

	it('interfacesEmptyFor returns data:null for N seconds', async () => {
		await control(sim, { interfacesEmptyFor: { vmid: 130, seconds: 1 } });
		expect((await api('GET', '/nodes/pve/lxc/130/interfaces')).body).toEqual({ data: null });
		await new Promise((res) => setTimeout(res, 1100));
		expect(onBridge(sim, await ctAddress(sim, 'pve', 130))).toBe(true);
		await control(sim, { interfacesEmptyFor: { seconds: 1, mode: 'noinet' } });
		const ifs = (await api<{ name: string; inet?: string }[]>('GET', '/nodes/pve/lxc/130/interfaces')).body?.data;
		expect(ifs?.find((i) => i.name === 'eth0')?.inet).toBeUndefined();
		await control(sim, { reset: true });
	});

	it('killSshd drops an open session; the CT still reports running until a stop/start', async () => {
		const addr = await ctAddress(sim, 'pve', 130);
		const session = spawn(
			'ssh',
			[
				'-i',
				key.key,
				'-o',
				'StrictHostKeyChecking=no',
				'-o',
				'UserKnownHostsFile=/dev/null',
				'-o',
				'BatchMode=yes',
				'-o',
				'LogLevel=ERROR',
				'-p',
				String(sim.sshPort),
				`root@${addr}`,
				'echo ready; sleep 60'
			],
			{ stdio: ['ignore', 'pipe', 'pipe'] }
		);
		try {
			await new Promise<void>((resolve, reject) => {
				session.stdout.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
				session.once('exit', () => reject(new Error('session ended early')));
			});
			const ended = new Promise<number | null>((resolve) => session.once('exit', (code) => resolve(code)));
			const res = await control(sim, { killSshd: { vmid: 130 } });
			expect(res.killed).toBeGreaterThanOrEqual(2);
			expect(await ended).not.toBe(0);
			expect(await status('pve', 130)).toBe('running');
			expect((await ssh(key.key, addr, sim.sshPort, 'true')).code).toBe(255);
			// As on PVE, pct exec still reaches a CT whose sshd crashed.
			expect((await ssh(sim.host.privateKeyPath, sim.host.address, sim.host.port, 'pct exec 130 -- hostname')).stdout).toBe('ct130\n');
			const stop = await api<string>('POST', '/nodes/pve/lxc/130/status/stop');
			await waitTask(sim, stop.body?.data as string);
			await startCt('pve', 130);
			expect((await ssh(key.key, addr, sim.sshPort, 'hostname')).stdout).toBe('ct130\n');
		} finally {
			if (session.exitCode === null && session.pid) process.kill(session.pid, 'SIGKILL');
		}
	});

	it('ignoreShutdown: shutdown past its timeout ends container did not stop; forceStop stops it', async () => {
		await control(sim, { ignoreShutdown: { vmid: 130 } });
		const shut = await api<string>('POST', '/nodes/pve/lxc/130/status/shutdown', { form: { timeout: 1 } });
		const t = await waitTask(sim, shut.body?.data as string);
		expect(t.exitstatus).toBe('container did not stop');
		expect((await taskLog(sim, shut.body?.data as string)).at(-1)).toBe('TASK ERROR: container did not stop');
		expect(await status('pve', 130)).toBe('running');

		// While a shutdown holds the config lock, another mutating call times out on the lock.
		await control(sim, { lockTimeoutMs: 200 });
		const long = await api<string>('POST', '/nodes/pve/lxc/130/status/shutdown', { form: { timeout: 2, forceStop: 1 } });
		const blocked = await api('POST', '/nodes/pve/lxc/130/status/stop');
		expect(blocked.status).toBe(500);
		expect(blocked.statusText).toBe("can't lock file '/run/lock/lxc/pve-config-130.lock' - got timeout");
		expect(await waitTask(sim, long.body?.data as string)).toMatchObject({ exitstatus: 'OK' });
		expect(await status('pve', 130)).toBe('stopped');
		await control(sim, { reset: true });
	});
});

describe('multi-node', () => {
	it('vmids are unique cluster-wide and each CT belongs to one node', async () => {
		const dup = await api('POST', '/nodes/pve2/lxc', { form: { vmid: 130, ostemplate: DEBIAN, rootfs: 'local-lvm:2' } });
		expect(dup.statusText).toBe("CT 130 already exists on node 'pve'");
		await waitTask(sim, await createCt('pve2', 140));
		expect(((await api<{ vmid: number }[]>('GET', '/nodes/pve/lxc')).body?.data ?? []).map((c) => c.vmid)).not.toContain(140);
		expect(((await api<{ vmid: number }[]>('GET', '/nodes/pve2/lxc')).body?.data ?? []).map((c) => c.vmid)).toEqual([140]);
		const wrong = await api('GET', '/nodes/pve/lxc/140/status/current');
		expect(wrong.statusText).toBe("Configuration file 'nodes/pve/lxc/140.conf' does not exist");
		const res = (await api<{ id: string; node: string }[]>('GET', '/cluster/resources', { query: { type: 'vm' } })).body?.data ?? [];
		expect(res.find((r) => r.id === 'lxc/140')?.node).toBe('pve2');
		expect(res.find((r) => r.id === 'lxc/130')?.node).toBe('pve');
		const nodes = (await api<{ node: string; status: string }[]>('GET', '/nodes')).body?.data ?? [];
		expect(nodes.map((n) => [n.node, n.status])).toEqual([
			['pve', 'online'],
			['pve2', 'online']
		]);
		await startCt('pve2', 140);
		expect((await ssh(key.key, await ctAddress(sim, 'pve2', 140), sim.sshPort, 'hostname')).stdout).toBe('ct140\n');
	});

	it('nodeOffline: /nodes says offline and calls for that node answer 595', async () => {
		await control(sim, { nodeOffline: { node: 'pve2', offline: true } });
		const nodes = (await api<{ node: string; status: string; cpu?: number }[]>('GET', '/nodes')).body?.data ?? [];
		expect(nodes.find((n) => n.node === 'pve2')).toMatchObject({ status: 'offline' });
		expect(nodes.find((n) => n.node === 'pve2')?.cpu).toBeUndefined();
		const r = await api('GET', '/nodes/pve2/lxc');
		expect(r.status).toBe(595);
		expect(r.statusText).toBe('Connection timed out');
		const res = (await api<{ id: string; status: string }[]>('GET', '/cluster/resources', { query: { type: 'vm' } })).body?.data ?? [];
		expect(res.find((x) => x.id === 'lxc/140')?.status).toBe('unknown');
		expect((await api('GET', '/nodes/pve/lxc')).status).toBe(200);
		await control(sim, { nodeOffline: { node: 'pve2', offline: false } });
		expect((await api('GET', '/nodes/pve2/lxc')).status).toBe(200);
	});
});
