// CT clones and templates in the simulator: a full clone boots with the source's files but its own
// hostname, MAC and address, and is independent of the source; a template cannot start, change or go
// while linked clones stack on it; a linked clone shares the template's files; and every refusal has
// Proxmox's status and text (pve-container API2/LXC.pm clone_vm and template).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { control, controlGet, ctAddress, makeKey, pveRequest, ssh, startSim, taskLog, waitTask, type RunningSim, type SimJson } from '../helpers/sim';
import { TEST_TEMPLATE } from '../helpers/templates';

const DEBIAN = TEST_TEMPLATE;
const SRC = 150;
let run: RunningSim;
let sim: SimJson;
let key: Awaited<ReturnType<typeof makeKey>>;

const ct = (vmid: number) => `/nodes/pve/lxc/${vmid}`;

async function task(method: string, path: string, form?: Record<string, string | number>): Promise<{ upid: string; exitstatus?: string }> {
	const r = await pveRequest<string>(sim, method, path, form ? { form } : {});
	expect(r.status, r.raw).toBe(200);
	const upid = r.body?.data as string;
	return { upid, exitstatus: (await waitTask(sim, upid)).exitstatus };
}

async function config(vmid: number): Promise<Record<string, string | number>> {
	const r = await pveRequest<Record<string, string | number>>(sim, 'GET', `${ct(vmid)}/config`);
	expect(r.status, r.raw).toBe(200);
	return r.body?.data ?? {};
}

async function sh(vmid: number, command: string): Promise<string> {
	const r = await ssh(key.key, await ctAddress(sim, 'pve', vmid), sim.sshPort, command);
	expect(r.code, r.stderr).toBe(0);
	return r.stdout;
}

/** A sync refusal: status and reason phrase. */
async function refused(path: string, form: Record<string, string | number>, status: number, text: string): Promise<void> {
	const r = await pveRequest(sim, 'POST', path, { form });
	expect({ status: r.status, text: r.statusText }).toEqual({ status, text });
}

const mac = (conf: Record<string, string | number>) => /hwaddr=([0-9A-F:]+)/.exec(String(conf.net0))?.[1];

beforeAll(async () => {
	key = await makeKey();
	run = await startSim({ nodes: ['pve', 'pve2'] });
	sim = run.simJson;
	const created = await task('POST', '/nodes/pve/lxc', {
		vmid: SRC,
		hostname: 'source',
		ostemplate: DEBIAN,
		rootfs: 'local-lvm:8',
		net0: 'name=eth0,bridge=vmbr0,ip=dhcp',
		'ssh-public-keys': key.pub,
		start: 1
	});
	expect(created.exitstatus).toBe('OK');
	let ready = false;
	for (let i = 0; i < 100 && !ready; i++) {
		ready = (await pveRequest<{ status: string }>(sim, 'GET', `${ct(SRC)}/status/current`)).body?.data.status === 'running';
		if (!ready) await new Promise((r) => setTimeout(r, 100));
	}
	await sh(SRC, 'echo from-source > /root/marker');
	expect((await task('POST', `${ct(SRC)}/status/stop`)).exitstatus).toBe('OK');
}, 60_000);

afterAll(async () => {
	await run?.stop();
	if (key) (await import('node:fs')).rmSync(key.dir, { recursive: true, force: true });
});

afterEach(async () => {
	await control(sim, { reset: true });
});

describe('full clone', () => {
	it('boots with the source files, its own hostname, MAC and address; changes stay in the clone', async () => {
		await control(sim, { delayNext: { type: 'vzclone', ms: 2000 } });
		const r = await pveRequest<string>(sim, 'POST', `${ct(SRC)}/clone`, { form: { newid: 151, hostname: 'clone-a' } });
		expect(r.status, r.raw).toBe(200);
		const upid = r.body?.data as string;
		expect(upid).toContain(':vzclone:150:');
		// While the task runs: the source is locked `disk`, the new CT `create`.
		expect((await config(SRC)).lock).toBe('disk');
		expect((await config(151)).lock).toBe('create');
		expect((await waitTask(sim, upid)).exitstatus).toBe('OK');
		expect(await taskLog(sim, upid)).toContain('create full clone of mountpoint rootfs (local-lvm:vm-150-disk-0)');

		const [src, clone] = [await config(SRC), await config(151)];
		expect(src.lock).toBeUndefined();
		expect(clone.lock).toBeUndefined();
		expect(clone).toMatchObject({ hostname: 'clone-a', rootfs: 'local-lvm:vm-151-disk-0,size=8G', memory: src.memory });
		expect(mac(clone)).toMatch(/^BC:24:11:/);
		expect(mac(clone)).not.toBe(mac(src));

		expect((await task('POST', `${ct(151)}/status/start`)).exitstatus).toBe('OK');
		expect((await task('POST', `${ct(SRC)}/status/start`)).exitstatus).toBe('OK');
		const [srcAddr, cloneAddr] = [await ctAddress(sim, 'pve', SRC), await ctAddress(sim, 'pve', 151)];
		expect(cloneAddr).not.toBe(srcAddr);
		expect(await sh(151, 'cat /root/marker; hostname; cat /etc/hostname')).toBe('from-source\nclone-a\nclone-a\n');
		expect((await sh(151, 'ip -o link show eth0')).toUpperCase()).toContain(`LINK/ETHER ${mac(clone)} `);
		await sh(151, 'echo from-clone > /root/marker; touch /root/only-clone');
		expect(await sh(SRC, 'cat /root/marker; ls /root/only-clone 2>&1 || true')).toMatch(/^from-source\n.*No such file/);
	}, 60_000);

	it('from a snapshot: the clone has the files of that moment, even while the source runs', async () => {
		expect((await task('POST', `${ct(SRC)}/snapshot`, { snapname: 'before' })).exitstatus).toBe('OK');
		await sh(SRC, 'echo after-snapshot > /root/marker');
		await refused(`${ct(SRC)}/clone`, { newid: 153 }, 500, 'Cannot do full clones on a running container without snapshots');
		const done = await task('POST', `${ct(SRC)}/clone`, { newid: 153, snapname: 'before', hostname: 'from-snap' });
		expect(done.exitstatus).toBe('OK');
		expect((await config(153)).parent).toBeUndefined();
		expect((await task('POST', `${ct(153)}/status/start`)).exitstatus).toBe('OK');
		expect(await sh(153, 'cat /root/marker')).toBe('from-source\n');
		expect((await task('POST', `${ct(153)}/status/stop`)).exitstatus).toBe('OK');
		expect((await task('DELETE', `${ct(153)}`)).exitstatus).toBe('OK');
		expect((await task('DELETE', `${ct(SRC)}/snapshot/before`)).exitstatus).toBe('OK');
		expect((await task('POST', `${ct(SRC)}/status/stop`)).exitstatus).toBe('OK');
	}, 60_000);
});

describe('template and linked clone', () => {
	it('converts a stopped CT: data null, a vztemplate task, template: 1 and a base volume', async () => {
		await refused(`${ct(151)}/template`, {}, 500, "you can't convert a CT to template if the CT is running");
		const r = await pveRequest(sim, 'POST', `${ct(SRC)}/template`);
		expect(r.status, r.raw).toBe(200);
		expect(r.body?.data).toBeNull();
		const list = await pveRequest<{ upid: string }[]>(sim, 'GET', '/nodes/pve/tasks', { query: { typefilter: 'vztemplate', vmid: SRC } });
		const upid = list.body?.data[0]?.upid as string;
		expect((await waitTask(sim, upid)).exitstatus).toBe('OK');
		expect(await config(SRC)).toMatchObject({ template: 1, rootfs: 'local-lvm:base-150-disk-0,size=8G' });
		const row = (await pveRequest<{ vmid: number; template?: number }[]>(sim, 'GET', '/nodes/pve/lxc')).body?.data.find((c) => c.vmid === SRC);
		expect(row?.template).toBe(1);
	});

	it('a template cannot start, be snapshotted, or be converted again', async () => {
		const start = await task('POST', `${ct(SRC)}/status/start`);
		expect(start.exitstatus).toBe("you can't start a CT if it's a template");
		const snap = await task('POST', `${ct(SRC)}/snapshot`, { snapname: 'snap1' });
		expect(snap.exitstatus).toBe("you can't take a snapshot if it's a template");
		await refused(`${ct(SRC)}/template`, {}, 500, "you can't convert a template to a template");
	});

	it('a linked clone (the default from a template) shares its files and leaves its layer alone', async () => {
		const templateUpper = join(run.stateDir, 'cts', String(SRC), 'upper', 'root');
		const before = readdirSync(templateUpper).sort();
		const done = await task('POST', `${ct(SRC)}/clone`, { newid: 152, hostname: 'linked' });
		expect(done.exitstatus).toBe('OK');
		expect(await taskLog(sim, done.upid)).toContain('create linked clone of mount point rootfs (local-lvm:base-150-disk-0)');
		expect((await config(152)).template).toBeUndefined();
		expect((await task('POST', `${ct(152)}/status/start`)).exitstatus).toBe('OK');
		expect(await sh(152, 'cat /root/marker; hostname')).toBe('after-snapshot\nlinked\n');
		await sh(152, 'echo changed > /root/marker; touch /root/linked-only');
		expect(await sh(152, 'cat /root/marker')).toBe('changed\n');
		expect(readdirSync(templateUpper).sort()).toEqual(before);
		expect(existsSync(join(run.stateDir, 'cts/152/upper/root/linked-only'))).toBe(true);
		// It stacks on the template (or, while the base is the host's `/`, starts from a copy of its layer).
		const state = await controlGet<{ cts: Record<string, { rootfs?: { parents: number[] } }> }>(sim, '/state');
		expect(state.cts['152'].rootfs?.parents).toEqual([SRC]);
	}, 60_000);

	it('the template cannot be destroyed while a linked clone stacks on it; afterwards it can', async () => {
		const refusedDestroy = await task('DELETE', ct(SRC));
		expect(refusedDestroy.exitstatus).toBe("base volume 'base-150-disk-0' is still in use by linked clones");
		expect((await config(SRC)).template).toBe(1);
		expect((await task('POST', `${ct(152)}/status/stop`)).exitstatus).toBe('OK');
		expect((await task('DELETE', ct(152))).exitstatus).toBe('OK');
		expect((await task('DELETE', ct(SRC))).exitstatus).toBe('OK');
		expect(existsSync(join(run.stateDir, 'cts', String(SRC)))).toBe(false);
	}, 30_000);
});

describe('refusals', () => {
	it('checks parameters, ids, locks, storage, nodes and snapshots with Proxmox texts', async () => {
		expect((await task('POST', `${ct(151)}/status/stop`)).exitstatus).toBe('OK');
		const bad = await pveRequest(sim, 'POST', `${ct(151)}/clone`, { form: { newid: 5 } });
		expect(bad.status).toBe(400);
		expect(bad.body?.errors).toEqual({ newid: 'value must have a minimum value of 100' });
		await refused(`${ct(999)}/clone`, { newid: 160 }, 500, "Configuration file 'nodes/pve/lxc/999.conf' does not exist");
		await refused(`${ct(151)}/clone`, { newid: 900 }, 500, "VM 900 already exists on node 'pve'");
		await refused(`${ct(151)}/clone`, { newid: 151 }, 500, "CT 151 already exists on node 'pve'");
		await refused(`${ct(151)}/clone`, { newid: 160, full: 0 }, 500, "Linked clone feature for 'local-lvm:vm-151-disk-0' is not available");
		await refused(`${ct(151)}/clone`, { newid: 160, full: 0, storage: 'local-lvm' }, 500, "parameter 'storage' not allowed for linked clones");
		await refused(`${ct(151)}/clone`, { newid: 160, storage: 'nope' }, 500, "storage 'nope' does not exist");
		await refused(`${ct(151)}/clone`, { newid: 160, snapname: 'nope' }, 500, "snapshot 'nope' does not exist");
		await refused(`${ct(151)}/clone`, { newid: 160, target: 'pve9' }, 500, "no such cluster node 'pve9'");
		await refused(`${ct(151)}/clone`, { newid: 160, target: 'pve2', storage: 'local-lvm' }, 500, "can't clone to non-shared storage 'local-lvm'");
		await refused(`${ct(151)}/clone`, { newid: 160, target: 'pve2' }, 500, "can't clone CT to node 'pve2' (CT uses local storage)");
		await control(sim, { lock: { vmid: 151, lock: 'backup' } });
		await refused(`${ct(151)}/clone`, { newid: 160 }, 500, 'CT is locked (backup)');
		await refused(`${ct(151)}/template`, {}, 500, 'CT is locked (backup)');
		await control(sim, { unlock: { vmid: 151 } });
		// Nothing half-made: no CT 160, and the source is unlocked.
		expect((await pveRequest(sim, 'GET', `${ct(160)}/config`)).status).toBe(500);
		expect((await config(151)).lock).toBeUndefined();
	});

	it('refuses a template with snapshots', async () => {
		expect((await task('POST', `${ct(151)}/snapshot`, { snapname: 's1' })).exitstatus).toBe('OK');
		await refused(`${ct(151)}/template`, {}, 500, 'unable to create template, because CT contains snapshots');
		expect((await task('DELETE', `${ct(151)}/snapshot/s1`)).exitstatus).toBe('OK');
	});

	it('checks the token privileges: VM.Clone, VM.Allocate, Datastore.AllocateSpace, SDN.Use, pools', async () => {
		await control(sim, { revokePrivilege: { privilege: 'VM.Clone', path: '/vms/151' } });
		await refused(`${ct(151)}/clone`, { newid: 160 }, 403, 'Permission check failed (/vms/151, VM.Clone)');
		await control(sim, { reset: true, revokePrivilege: { privilege: 'VM.Allocate' } });
		await refused(`${ct(151)}/clone`, { newid: 160 }, 403, 'Permission check failed');
		await refused(`${ct(151)}/template`, {}, 403, 'Permission check failed (/vms/151, VM.Allocate)');
		await control(sim, { reset: true, revokePrivilege: { privilege: 'Datastore.AllocateSpace', path: '/storage/local-lvm' } });
		await refused(`${ct(151)}/clone`, { newid: 160 }, 403, 'Permission check failed (/storage/local-lvm, Datastore.AllocateSpace)');
		await control(sim, { reset: true, revokePrivilege: { privilege: 'SDN.Use', path: '/sdn/zones' } });
		await refused(`${ct(151)}/clone`, { newid: 160 }, 403, 'Permission check failed (/sdn/zones/localnetwork/vmbr0, SDN.Use)');
		await control(sim, { reset: true });
		await refused(`${ct(151)}/clone`, { newid: 160, pool: 'agents' }, 403, "Permission check failed (pool 'agents' does not exist)");
		expect((await config(151)).lock).toBeUndefined();
	});

	it('a clone task that fails leaves no new CT and unlocks the source', async () => {
		await control(sim, { failNext: { type: 'vzclone', message: 'disk full' } });
		const failed = await task('POST', `${ct(151)}/clone`, { newid: 161 });
		expect(failed.exitstatus).toBe('disk full');
		expect((await pveRequest(sim, 'GET', `${ct(161)}/config`)).status).toBe(500);
		expect(existsSync(join(run.stateDir, 'cts/161'))).toBe(false);
		expect((await config(151)).lock).toBeUndefined();
	});
});
