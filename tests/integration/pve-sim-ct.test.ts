// Conformance of the simulator's containers: a real sshd per CT (own address, hostname, private /root
// and /tmp, exactly the injected keys), tmux inside, `pct` on the simulated Proxmox host, and state
// across a simulator restart.
import { existsSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { control, controlGet, ctAddress, makeKey, onBridge, pveRequest, ssh, startSim, waitTask, type RunningSim, type SimJson } from '../helpers/sim';
import { TEST_TEMPLATE } from '../helpers/templates';

const DEBIAN = TEST_TEMPLATE;

let run: RunningSim;
let sim: SimJson;
let key: { dir: string; key: string; pub: string };
let other: { dir: string; key: string; pub: string };
let addr = '';

beforeAll(async () => {
	[key, other] = await Promise.all([makeKey(), makeKey()]);
	run = await startSim();
	sim = run.simJson;
	const r = await pveRequest<string>(sim, 'POST', '/nodes/pve/lxc', {
		form: { vmid: 120, hostname: 'ct-one', ostemplate: DEBIAN, rootfs: 'local-lvm:8', net0: 'name=eth0,bridge=vmbr0,ip=dhcp', 'ssh-public-keys': key.pub, start: 1 }
	});
	expect(r.status).toBe(200);
	await waitTask(sim, r.body?.data as string);
	for (let i = 0; i < 100; i++) {
		const st = await pveRequest<{ status: string }>(sim, 'GET', '/nodes/pve/lxc/120/status/current');
		if (st.body?.data.status === 'running') break;
		await new Promise((res) => setTimeout(res, 100));
	}
	addr = await ctAddress(sim, 'pve', 120);
});
afterAll(async () => {
	await run?.stop();
	for (const k of [key, other]) if (k) rmSync(k.dir, { recursive: true, force: true });
});

const inCt = (cmd: string, k = key.key) => ssh(k, addr, sim.sshPort, cmd);
const onHost = (cmd: string) => ssh(sim.host.privateKeyPath, sim.host.address, sim.host.port, cmd);

describe('a running CT', () => {
	it('has its own address on the bridge and answers ssh with its hostname', async () => {
		expect(onBridge(sim, addr)).toBe(true);
		const r = await inCt('hostname');
		expect(r).toMatchObject({ code: 0, stdout: 'ct-one\n' });
	});

	it('refuses a key that was not injected', async () => {
		const r = await inCt('true', other.key);
		expect(r.code).toBe(255);
		expect(r.stderr).toMatch(/Permission denied/);
	});

	it('has a private /root and /tmp, bash as shell, C.UTF-8 locale', async () => {
		const r = await inCt('ls -A /root; echo "HOME=$HOME"; echo "LANG=$LANG"; echo "SHELL=$0"; echo hi > /root/ct-file; echo x > /tmp/ct-marker-120; touch /root/.probe && echo writable');
		expect(r.code).toBe(0);
		expect(r.stdout).toContain('HOME=/root');
		expect(r.stdout).toContain('LANG=C.UTF-8');
		expect(r.stdout).toContain('SHELL=bash');
		expect(r.stdout).toContain('writable');
		expect(existsSync('/tmp/ct-marker-120')).toBe(false);
		expect(existsSync('/root/ct-file')).toBe(false);
		const again = await inCt('cat /root/ct-file; ls /tmp');
		expect(again.stdout).toContain('hi\n');
		expect(again.stdout).toContain('ct-marker-120');
	});

	it('runs tmux, and its processes live in their own PID namespace', async () => {
		const r = await inCt('tmux new-session -d -s spyre "sleep 300" && tmux ls && ps -e -o comm= | head -n 1');
		expect(r.code).toBe(0);
		expect(r.stdout).toMatch(/^spyre: 1 windows/m);
		const st = await pveRequest<{ mem: number; uptime: number; pid: number }>(sim, 'GET', '/nodes/pve/lxc/120/status/current');
		expect(st.body?.data.mem).toBeGreaterThan(1024 * 1024);
		expect(typeof st.body?.data.pid).toBe('number');
	});
});

describe('the Proxmox host', () => {
	it('runs pct status and pct exec inside the CT, with exit codes', async () => {
		const status = await onHost('hostname; pct status 120');
		expect(status).toMatchObject({ code: 0, stdout: 'pve\nstatus: running\n' });
		const exec = await onHost("pct exec 120 -- bash -c 'hostname; pwd; cat /root/ct-file; tmux ls | cut -d: -f1'");
		expect(exec).toMatchObject({ code: 0, stdout: 'ct-one\n/root\nhi\nspyre\n' });
		const code = await onHost("pct exec 120 -- sh -c 'echo out; echo err >&2; exit 3'");
		expect(code).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
	});

	it('reports an unknown CT like pct does', async () => {
		const r = await onHost('pct status 999');
		expect(r.code).toBe(2);
		expect(r.stderr).toBe("Configuration file 'nodes/pve/lxc/999.conf' does not exist\n");
		const e = await onHost('pct exec 999 -- true');
		expect(e.code).toBe(2);
	});
});

describe('persistence', () => {
	it('a restart keeps CTs, vmids and tasks, and starts the running CTs again', async () => {
		const r = await pveRequest<string>(sim, 'POST', '/nodes/pve/lxc', { form: { vmid: 121, hostname: 'ct-two', ostemplate: DEBIAN, rootfs: 'local-lvm:4' } });
		await waitTask(sim, r.body?.data as string);
		const tasksBefore = (await pveRequest<unknown[]>(sim, 'GET', '/nodes/pve/tasks')).body?.total;
		const oldSecret = sim.tokenSecret;
		const dir = run.stateDir;
		await run.stop({ keep: true });
		expect((await inCt('true')).code).toBe(255);

		run = await startSim({ stateDir: dir });
		sim = run.simJson;
		expect(sim.tokenSecret).toBe(oldSecret);
		const list = (await pveRequest<{ vmid: number; status: string; name: string }[]>(sim, 'GET', '/nodes/pve/lxc')).body?.data ?? [];
		expect(list.map((c) => [c.vmid, c.name, c.status]).sort()).toEqual([
			[120, 'ct-one', 'running'],
			[121, 'ct-two', 'stopped']
		]);
		expect((await pveRequest(sim, 'GET', '/cluster/nextid')).body?.data).toBe('100');
		expect((await pveRequest(sim, 'GET', '/nodes/pve/tasks')).body?.total).toBe(tasksBefore);
		expect(await ctAddress(sim, 'pve', 120)).toBe(addr);
		const again = await inCt('hostname; cat /root/ct-file');
		expect(again).toMatchObject({ code: 0, stdout: 'ct-one\nhi\n' });
		const state = await controlGet<{ cts: Record<string, unknown> }>(sim, '/state');
		expect(Object.keys(state.cts).sort()).toEqual(['120', '121']);
		expect(await control(sim, { reset: true })).toMatchObject({ ok: true });
	});
});
