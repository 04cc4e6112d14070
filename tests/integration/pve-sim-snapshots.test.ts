// CT snapshots in the simulator: create, list, rollback (the CT's files go back, a running CT is stopped
// first), delete, with the real UPID task types, checks and error texts of Proxmox VE 8.4.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctAddress, makeKey, pveRequest, ssh, startSim, taskLog, waitTask, type RunningSim, type SimJson } from '../helpers/sim';
import { TEST_TEMPLATE } from '../helpers/templates';

const DEBIAN = TEST_TEMPLATE;
const BASE = '/nodes/pve/lxc/150';
let run: RunningSim;
let sim: SimJson;
let key: Awaited<ReturnType<typeof makeKey>>;

async function task(method: string, path: string, form?: Record<string, string | number>): Promise<{ upid: string; status: { exitstatus?: string } }> {
	const r = await pveRequest<string>(sim, method, path, form ? { form } : {});
	expect(r.status, r.raw).toBe(200);
	const upid = r.body?.data as string;
	return { upid, status: await waitTask(sim, upid) };
}

async function startAndAddress(): Promise<string> {
	await task('POST', `${BASE}/status/start`);
	return ctAddress(sim, 'pve', 150);
}

beforeAll(async () => {
	key = await makeKey();
	run = await startSim();
	sim = run.simJson;
	await task('POST', '/nodes/pve/lxc', { vmid: 150, hostname: 'snap', ostemplate: DEBIAN, rootfs: 'local-lvm:8', net0: 'name=eth0,bridge=vmbr0,ip=dhcp', 'ssh-public-keys': key.pub });
}, 30_000);

afterAll(async () => {
	await run?.stop();
	if (key) rmSync(key.dir, { recursive: true, force: true });
});

describe('CT snapshots', () => {
	it('snapshot, change, rollback: the files go back and a running CT is stopped', async () => {
		let addr = await startAndAddress();
		expect((await ssh(key.key, addr, sim.sshPort, 'echo one > /root/a && useradd snapuser')).code).toBe(0);
		const snap = await task('POST', `${BASE}/snapshot`, { snapname: 's1', description: 'before the agent' });
		expect(snap.upid).toContain(':vzsnapshot:150:');
		expect(snap.status.exitstatus).toBe('OK');
		expect(existsSync(join(run.stateDir, 'cts/150/snapshots/s1'))).toBe(true);

		const list = (await pveRequest<Record<string, unknown>[]>(sim, 'GET', `${BASE}/snapshot`)).body?.data ?? [];
		expect(list).toHaveLength(2);
		expect(list[0]).toMatchObject({ name: 's1', description: 'before the agent' });
		expect(typeof list[0].snaptime).toBe('number');
		expect(list[1]).toMatchObject({ name: 'current', running: 1, parent: 's1', description: 'You are here!' });

		expect((await ssh(key.key, addr, sim.sshPort, 'echo two > /root/a && touch /root/b && userdel snapuser')).code).toBe(0);
		const rb = await task('POST', `${BASE}/snapshot/s1/rollback`);
		expect(rb.upid).toContain(':vzrollback:150:');
		expect(rb.status.exitstatus).toBe('OK');
		const st = await pveRequest<{ status: string }>(sim, 'GET', `${BASE}/status/current`);
		expect(st.body?.data.status).toBe('stopped');

		addr = await startAndAddress();
		const r = await ssh(key.key, addr, sim.sshPort, 'cat /root/a; ls /root/b 2>&1; id -u snapuser');
		expect(r.stdout).toMatch(/^one\n.*No such file.*\n\d+\n$/);
	}, 60_000);

	it('refuses reserved and malformed names, and fails the task on a duplicate or unknown snapshot', async () => {
		const reserved = await pveRequest(sim, 'POST', `${BASE}/snapshot`, { form: { snapname: 'current' } });
		expect(reserved.status).toBe(500);
		expect(reserved.statusText).toBe("unable to use snapshot name 'current' (reserved name)");
		const bad = await pveRequest(sim, 'POST', `${BASE}/snapshot`, { form: { snapname: '1bad' } });
		expect(bad.status).toBe(400);
		expect(bad.body?.errors).toEqual({ snapname: "invalid format - invalid configuration ID '1bad'" });

		const dup = await task('POST', `${BASE}/snapshot`, { snapname: 's1' });
		expect(dup.status.exitstatus).toBe("snapshot name 's1' already used");
		const unknown = await task('POST', `${BASE}/snapshot/nope/rollback`);
		expect(unknown.status.exitstatus).toBe("snapshot 'nope' does not exist");
		expect(await taskLog(sim, unknown.upid)).toContain("TASK ERROR: snapshot 'nope' does not exist");
	});

	it('delete removes the snapshot and its files; current loses its parent', async () => {
		const del = await task('DELETE', `${BASE}/snapshot/s1`);
		expect(del.upid).toContain(':vzdelsnapshot:150:');
		expect(del.status.exitstatus).toBe('OK');
		const list = (await pveRequest<Record<string, unknown>[]>(sim, 'GET', `${BASE}/snapshot`)).body?.data ?? [];
		expect(list).toEqual([expect.objectContaining({ name: 'current' })]);
		expect(list[0].parent).toBeUndefined();
		expect(existsSync(join(run.stateDir, 'cts/150/snapshots/s1'))).toBe(false);
	});
});
