// Conformance of the Proxmox VE simulator's HTTP API with Proxmox VE 8.4's (docs/simulator.md): envelope, headers, auth,
// errors (400/401/403/500/501), every endpoint, tasks and the create/start/stop/destroy quirks.
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKey, onBridge, pveRequest, simNetwork, startSim, taskLog, waitTask, type RunningSim, type SimJson } from '../helpers/sim';
import { STANDARD_TEMPLATE, TEMPLATES_DIR, TEST_TEMPLATE } from '../helpers/templates';

const DEBIAN = TEST_TEMPLATE;
const UBUNTU = 'local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst';
const UPID_RE = /^UPID:pve:[0-9A-F]{8}:[0-9A-F]{8,9}:[0-9A-F]{8}:vz[a-z]+:\d+:root@pam!spyre:$/;

let run: RunningSim;
let sim: SimJson;
let key: { dir: string; key: string; pub: string };

beforeAll(async () => {
	key = await makeKey();
	run = await startSim({ authDelayMs: 50 });
	sim = run.simJson;
});
afterAll(async () => {
	await run?.stop();
	if (key) rmSync(key.dir, { recursive: true, force: true });
});

const get = (path: string, query?: Record<string, string | number>) => pveRequest(sim, 'GET', path, { query });
const create = (form: Record<string, string | number>) => pveRequest<string>(sim, 'POST', '/nodes/pve/lxc', { form });

describe('wire format', () => {
	it('answers /version with the envelope and the real headers', async () => {
		const r = await get('/version');
		expect(r.status).toBe(200);
		expect(r.headers['content-type']).toBe('application/json;charset=UTF-8');
		expect(r.headers.server).toBe('pve-api-daemon/3.0');
		expect(r.body?.data).toMatchObject({ version: '8.4.1', release: '8.4' });
		expect(typeof (r.body?.data as { repoid: string }).repoid).toBe('string');
	});

	it('serves a certificate whose fingerprint sim.json and /nodes report', async () => {
		const pem = readFileSync(sim.certPath, 'utf8');
		const cert = new X509Certificate(pem);
		expect(cert.fingerprint256).toBe(sim.fingerprint);
		expect(sim.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
		expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
		expect(cert.subjectAltName).toContain('DNS:localhost');
		const r = await get('/nodes');
		expect(r.peerFingerprint).toBe(sim.fingerprint);
		const nodes = r.body?.data as Record<string, unknown>[];
		expect(nodes).toHaveLength(1);
		expect(nodes[0]).toMatchObject({ node: 'pve', status: 'online', type: 'node', id: 'node/pve', maxcpu: 16, maxmem: 64 * 1024 ** 3, maxdisk: 1024 ** 4, ssl_fingerprint: sim.fingerprint });
		for (const k of ['cpu', 'mem', 'disk', 'uptime']) expect(typeof nodes[0][k]).toBe('number');
	});

	it('401 No ticket without a token, after the delay, with an empty body', async () => {
		const r = await pveRequest(sim, 'GET', '/version', { auth: null });
		expect(r.status).toBe(401);
		expect(r.statusText).toBe('No ticket');
		expect(r.raw).toBe('');
		expect(r.ms).toBeGreaterThanOrEqual(45);
	});

	it('401 Authentication failed! for a wrong secret or token', async () => {
		for (const auth of [`PVEAPIToken=${sim.tokenId}=00000000-0000-0000-0000-000000000000`, 'PVEAPIToken=root@pam!other=x']) {
			const r = await pveRequest(sim, 'GET', '/nodes', { auth });
			expect(r.status).toBe(401);
			expect(r.statusText).toBe('Authentication failed!');
			expect(r.raw).toBe('');
		}
	});

	it('501 for unknown paths and methods, message in reason phrase and body', async () => {
		const r = await get('/nodes/pve/nope');
		expect(r.status).toBe(501);
		expect(r.statusText).toBe("Method 'GET /nodes/pve/nope' not implemented");
		expect(r.body).toEqual({ data: null, message: "Method 'GET /nodes/pve/nope' not implemented\n" });
		const put = await pveRequest(sim, 'PUT', '/version');
		expect(put.status).toBe(501);
	});

	it('501 Unexpected content for a DELETE with a body', async () => {
		const r = await pveRequest(sim, 'DELETE', '/nodes/pve/lxc/100', { body: 'purge=1' });
		expect(r.status).toBe(501);
		expect(r.statusText).toBe("Unexpected content for method 'DELETE'");
	});

	it('500 for an unknown node (hostname lookup)', async () => {
		const r = await get('/nodes/nosuch/lxc');
		expect(r.status).toBe(500);
		expect(r.statusText).toMatch(/^hostname lookup 'nosuch' failed/);
	});
});

describe('read-only endpoints', () => {
	it('/cluster/nextid returns a string and rejects a taken vmid with 400', async () => {
		const r = await get('/cluster/nextid');
		expect(r.body?.data).toBe('100');
		const taken = await get('/cluster/nextid', { vmid: 900 });
		expect(taken.status).toBe(400);
		expect(taken.statusText).toBe('Parameter verification failed.');
		expect(taken.body?.errors).toEqual({ vmid: 'VM 900 already exists' });
		expect((await get('/cluster/nextid', { vmid: 4321 })).body?.data).toBe('4321');
		expect((await get('/cluster/nextid', { vmid: 'x' })).body?.errors).toEqual({ vmid: "type check ('integer') failed - got 'x'" });
		expect((await get('/cluster/nextid', { vmid: 5 })).body?.errors).toEqual({ vmid: 'value must have a minimum value of 100' });
		expect((await get('/cluster/nextid', { bogus: 1 })).body?.errors).toEqual({
			bogus: 'property is not defined in schema and the schema does not allow additional properties'
		});
	});

	it('lists storages and the templates that exist in the templates dir, with their real sizes', async () => {
		const st = (await get('/nodes/pve/storage')).body?.data as { storage: string; content: string }[];
		expect(st.map((s) => s.storage).sort()).toEqual(['local', 'local-lvm']);
		expect(st.find((s) => s.storage === 'local-lvm')?.content).toContain('rootdir');
		expect(((await get('/nodes/pve/storage', { content: 'rootdir' })).body?.data as unknown[]).length).toBe(1);
		const c = await get('/nodes/pve/storage/local/content', { content: 'vztmpl' });
		const vols = c.body?.data as { volid: string; format: string; content: string; size: number; ctime: number }[];
		const onDisk = readdirSync(join(TEMPLATES_DIR, 'cache'))
			.filter((f) => /\.tar\.(zst|xz|gz)$/.test(f))
			.sort();
		expect(vols.map((v) => v.volid)).toEqual(onDisk.map((f) => `local:vztmpl/${f}`));
		expect(vols.map((v) => v.volid)).toEqual(expect.arrayContaining([DEBIAN, STANDARD_TEMPLATE]));
		expect(vols.map((v) => v.volid)).not.toContain(UBUNTU);
		for (const v of vols) {
			const st = statSync(join(TEMPLATES_DIR, 'cache', v.volid.replace('local:vztmpl/', '')));
			expect(v).toMatchObject({ format: 'tzst', content: 'vztmpl', size: st.size, ctime: Math.floor(st.ctimeMs / 1000) });
		}
		const missing = await get('/nodes/pve/storage/nosuch/content');
		expect(missing.status).toBe(500);
		expect(missing.statusText).toBe("storage 'nosuch' does not exist");
	});

	it('lists the stopped VMs in /qemu and /cluster/resources', async () => {
		const q = (await get('/nodes/pve/qemu')).body?.data as { vmid: number; name: string; status: string }[];
		expect(q.map((v) => [v.vmid, v.name, v.status])).toEqual([
			[900, 'win11-build', 'stopped'],
			[901, 'router-test', 'stopped']
		]);
		const res = (await get('/cluster/resources', { type: 'vm' })).body?.data as { id: string; type: string }[];
		expect(res.map((v) => v.id)).toEqual(expect.arrayContaining(['qemu/900', 'qemu/901']));
		const all = (await get('/cluster/resources')).body?.data as { type: string }[];
		expect(new Set(all.map((x) => x.type))).toEqual(new Set(['node', 'storage', 'qemu']));
		expect((await get('/cluster/resources', { type: 'bogus' })).status).toBe(400);
	});

	it('500 for status/config/interfaces of a missing CT', async () => {
		for (const p of ['status/current', 'config', 'interfaces']) {
			const r = await get(`/nodes/pve/lxc/999/${p}`);
			expect(r.status).toBe(500);
			expect(r.statusText).toBe("Configuration file 'nodes/pve/lxc/999.conf' does not exist");
			expect(r.body?.message).toBe("Configuration file 'nodes/pve/lxc/999.conf' does not exist\n");
		}
	});

	it('task status: 400 no such task, 500 for a malformed UPID', async () => {
		const fake = 'UPID:pve:00001234:00005678:6500AAAA:vzcreate:101:root@pam!spyre:';
		const r = await get(`/nodes/pve/tasks/${encodeURIComponent(fake)}/status`);
		expect(r.status).toBe(400);
		expect(r.body?.errors).toEqual({ upid: 'no such task' });
		const bad = await get('/nodes/pve/tasks/garbage/status');
		expect(bad.status).toBe(500);
		expect(bad.statusText).toBe("unable to parse worker upid 'garbage'");
	});
});

describe('create parameter checks', () => {
	const base = { vmid: 150, ostemplate: DEBIAN, rootfs: 'local-lvm:4' };
	const cases: [string, Record<string, string | number>, Record<string, string>][] = [
		['form boolean true', { start: 'true' }, { start: "type check ('boolean') failed - got 'true'" }],
		['missing ostemplate', { ostemplate: '' }, {}],
		['unknown property', { bogus: 1 }, { bogus: 'property is not defined in schema and the schema does not allow additional properties' }],
		['cores below 1', { cores: 0 }, { cores: 'value must have a minimum value of 1' }],
		['cores above 8192', { cores: 9000 }, { cores: 'value must have a maximum value of 8192' }],
		['memory below 16', { memory: 8 }, { memory: 'value must have a minimum value of 16' }],
		['memory not integer', { memory: '1G' }, { memory: "type check ('integer') failed - got '1G'" }],
		['vmid below 100', { vmid: 99 }, { vmid: 'value must have a minimum value of 100' }],
		['short password', { password: 'abc' }, { password: 'value must be at least 5 characters long' }],
		['bad hostname', { hostname: 'bad_host!' }, { hostname: 'invalid format - value does not look like a valid DNS name' }]
	];
	for (const [name, extra, errors] of cases) {
		it(`400 for ${name}`, async () => {
			const form: Record<string, string | number> = { ...base, ...extra };
			if (form.ostemplate === '') delete form.ostemplate;
			const r = await create(form);
			expect(r.status).toBe(400);
			expect(r.statusText).toBe('Parameter verification failed.');
			if (name === 'missing ostemplate') expect(r.body?.errors).toEqual({ ostemplate: 'property is missing and it is not optional' });
			else expect(r.body?.errors).toEqual(errors);
		});
	}

	it('400 invalid format for rootfs, net0 and features', async () => {
		const rootfs = await create({ ...base, rootfs: 'local-lvm:4,bogus=1' });
		expect(rootfs.body?.errors?.rootfs).toBe('invalid format - invalid key in comma-separated list property: bogus');
		const vol = await create({ ...base, rootfs: 'nocolon' });
		expect(vol.body?.errors?.rootfs).toMatch(/^invalid format - format error\nvolume: invalid format - unable to parse volume ID 'nocolon'/);
		const net = await create({ ...base, net0: 'name=eth0,bridge=vmbr0,ip=300.1.1.1/24' });
		expect(net.body?.errors?.net0).toMatch(/^invalid format - format error\nip: /);
		const noname = await create({ ...base, net0: 'bridge=vmbr0,ip=dhcp' });
		expect(noname.body?.errors?.net0).toBe('invalid format - format error\nname: property is missing and it is not optional');
		const feat = await create({ ...base, features: 'nesting=yes' });
		expect(feat.body?.errors?.features).toBe("invalid format - format error\nnesting: type check ('boolean') failed - got 'yes'");
		const several = await create({ vmid: 'abc', cores: -1, ostemplate: DEBIAN });
		expect(Object.keys(several.body?.errors ?? {}).sort()).toEqual(['cores', 'vmid']);
	});

	it('403 for a privileged CT and for features other than nesting', async () => {
		const priv = await create({ ...base, unprivileged: 0 });
		expect(priv.status).toBe(403);
		expect(priv.statusText).toBe('Permission check failed (/vms/150, VM.Allocate)');
		const keyctl = await create({ ...base, features: 'nesting=1,keyctl=1' });
		expect(keyctl.status).toBe(403);
		expect(keyctl.statusText).toBe('Permission check failed (changing feature flags (except nesting) is only allowed for root@pam)');
		expect(keyctl.body?.message).toMatch(/\n$/);
	});

	it('500 SSH public key validation error for a key that is not one', async () => {
		const r = await create({ ...base, 'ssh-public-keys': `${key.pub}\nssh-ed25519 AAAAnotakey x` });
		expect(r.status).toBe(500);
		expect(r.statusText).toBe('SSH public key validation error');
		expect((await get('/nodes/pve/lxc/150/status/current')).status).toBe(500);
	});
});

describe('CT lifecycle and quirks', () => {
	it('create holds lock:create, shows unknown briefly, then ends TASK OK with a realistic log', async () => {
		const r = await create({
			vmid: 110,
			hostname: 'api-one',
			ostemplate: DEBIAN,
			rootfs: 'local-lvm:8',
			memory: 1024,
			cores: 2,
			'ssh-public-keys': key.pub,
			net0: 'name=eth0,bridge=vmbr0,ip=dhcp',
			tags: 'spyre'
		});
		expect(r.status).toBe(200);
		const upid = r.body?.data as string;
		expect(upid).toMatch(UPID_RE);
		expect(upid).toContain(':vzcreate:110:');
		const st = await get('/nodes/pve/lxc/110/status/current');
		expect(st.body?.data).toMatchObject({ vmid: 110, status: 'stopped', lock: 'create', name: 'api-one', ha: { managed: 0 } });
		const res = (await get('/cluster/resources', { type: 'vm' })).body?.data as { id: string; status: string }[];
		expect(res.find((x) => x.id === 'lxc/110')?.status).toBe('unknown');
		const del = await pveRequest(sim, 'DELETE', '/nodes/pve/lxc/110');
		expect(del.status).toBe(500);
		expect(del.statusText).toBe('CT is locked (create)');
		const again = await create({ vmid: 110, ostemplate: DEBIAN, rootfs: 'local-lvm:8' });
		expect(again.status).toBe(500);
		expect(again.statusText).toBe("CT 110 already exists on node 'pve'");
		const vmDup = await create({ vmid: 900, ostemplate: DEBIAN, rootfs: 'local-lvm:8' });
		expect(vmDup.statusText).toBe("VM 900 already exists on node 'pve'");
		const running = await get(`/nodes/pve/tasks/${encodeURIComponent(upid)}/status`);
		expect(running.body?.data).toMatchObject({ status: 'running', type: 'vzcreate', id: '110', user: 'root@pam', tokenid: 'spyre', node: 'pve', upid });

		const done = await waitTask(sim, upid);
		expect(done).toMatchObject({ status: 'stopped', exitstatus: 'OK' });
		for (const k of ['pid', 'pstart', 'starttime']) expect(typeof done[k]).toBe('number');
		const lines = await taskLog(sim, upid);
		expect(lines.at(-1)).toBe('TASK OK');
		expect(lines).toContain(`extracting archive '/var/lib/vz/template/cache/${DEBIAN.replace('local:vztmpl/', '')}'`);
		expect(lines.some((l) => l.startsWith('Total bytes read: '))).toBe(true);
		expect(lines).toContain('Detected container architecture: amd64');
		expect(lines.some((l) => l.startsWith("Creating SSH host key 'ssh_host_ed25519_key'"))).toBe(true);

		const page = await get(`/nodes/pve/tasks/${encodeURIComponent(upid)}/log`, { start: 1, limit: 2 });
		expect(page.body?.total).toBe(lines.length);
		expect(page.body?.data).toEqual([
			{ n: 2, t: lines[1] },
			{ n: 3, t: lines[2] }
		]);

		const cfg = (await get('/nodes/pve/lxc/110/config')).body?.data as Record<string, unknown>;
		expect(cfg).toMatchObject({ hostname: 'api-one', cores: 2, memory: 1024, swap: 512, rootfs: 'local-lvm:vm-110-disk-0,size=8G', unprivileged: 1, ostype: 'debian', arch: 'amd64', tags: 'spyre' });
		expect(cfg.lock).toBeUndefined();
		expect(cfg.net0).toMatch(/^name=eth0,bridge=vmbr0,hwaddr=BC:24:11:[0-9A-F:]{8},ip=dhcp,type=veth$/);
		expect(cfg.digest).toMatch(/^[0-9a-f]{40}$/);
		expect(cfg['ssh-public-keys']).toBeUndefined();
		expect(cfg.password).toBeUndefined();

		const list = (await get('/nodes/pve/lxc')).body?.data as Record<string, unknown>[];
		expect(list.find((c) => c.vmid === 110)).toMatchObject({ type: 'lxc', status: 'stopped', name: 'api-one', cpus: 2, maxmem: 1024 * 1024 ** 2, maxdisk: 8 * 1024 ** 3, tags: 'spyre' });
		expect((await get('/cluster/nextid')).body?.data).toBe('100');
	});

	it('start, stop and destroy follow the sync checks and tasks', async () => {
		const stopStopped = await pveRequest(sim, 'POST', '/nodes/pve/lxc/110/status/stop');
		expect(stopStopped.statusText).toBe('CT 110 not running');
		expect((await get('/nodes/pve/lxc/110/interfaces')).body).toEqual({ data: null });

		const start = await pveRequest<string>(sim, 'POST', '/nodes/pve/lxc/110/status/start');
		expect(start.body?.data).toContain(':vzstart:110:');
		expect(await waitTask(sim, start.body?.data as string)).toMatchObject({ exitstatus: 'OK' });
		const st = (await get('/nodes/pve/lxc/110/status/current')).body?.data as Record<string, number | string>;
		expect(st.status).toBe('running');
		expect(st.mem).toBeGreaterThan(0);
		expect(st.mem).toBeLessThan(200 * 1024 ** 2);
		const ifs = (await get('/nodes/pve/lxc/110/interfaces')).body?.data as { name: string; inet: string; 'ip-addresses': unknown[] }[];
		expect(ifs.map((i) => i.name)).toEqual(['lo', 'eth0']);
		expect(ifs[1].inet).toMatch(/^\d+\.\d+\.\d+\.\d+\/24$/);
		expect(onBridge(sim, ifs[1].inet.split('/')[0])).toBe(true);
		expect(ifs[1]['ip-addresses']).toContainEqual({ 'ip-address': ifs[1].inet.split('/')[0], 'ip-address-type': 'inet', prefix: 24 });

		const again = await pveRequest(sim, 'POST', '/nodes/pve/lxc/110/status/start');
		expect(again.status).toBe(500);
		expect(again.statusText).toBe('CT 110 already running');
		const skip = await pveRequest(sim, 'POST', '/nodes/pve/lxc/110/status/stop', { form: { skiplock: 1 } });
		expect(skip.body?.errors).toEqual({ skiplock: 'Only root may use this option.' });
		const del = await pveRequest(sim, 'DELETE', '/nodes/pve/lxc/110', { query: { purge: 1, 'destroy-unreferenced-disks': 1 } });
		expect(del.status).toBe(500);
		expect(del.statusText).toBe('unable to destroy CT 110 - container is running');

		const shut = await pveRequest<string>(sim, 'POST', '/nodes/pve/lxc/110/status/shutdown', { form: { timeout: 10 } });
		expect(shut.body?.data).toContain(':vzshutdown:110:');
		expect(await waitTask(sim, shut.body?.data as string)).toMatchObject({ exitstatus: 'OK' });
		expect(((await get('/nodes/pve/lxc/110/status/current')).body?.data as { status: string }).status).toBe('stopped');

		const start2 = await pveRequest<string>(sim, 'POST', '/nodes/pve/lxc/110/status/start');
		await waitTask(sim, start2.body?.data as string);
		const stop = await pveRequest<string>(sim, 'POST', '/nodes/pve/lxc/110/status/stop');
		expect(stop.body?.data).toContain(':vzstop:110:');
		expect(await waitTask(sim, stop.body?.data as string)).toMatchObject({ exitstatus: 'OK' });

		const destroy = await pveRequest<string>(sim, 'DELETE', '/nodes/pve/lxc/110', { query: { purge: 1, 'destroy-unreferenced-disks': 1 } });
		expect(destroy.body?.data).toContain(':vzdestroy:110:');
		expect(await waitTask(sim, destroy.body?.data as string)).toMatchObject({ exitstatus: 'OK' });
		expect((await get('/nodes/pve/lxc/110/status/current')).status).toBe(500);
		const tasks = await get('/nodes/pve/tasks', { vmid: 110 });
		expect((tasks.body?.data as { type: string }[]).map((t) => t.type)).toEqual(['vzdestroy', 'vzstop', 'vzstart', 'vzshutdown', 'vzstart', 'vzcreate']);
		expect(tasks.body?.total).toBe(6);
	});

	it('start on a missing CT returns a UPID whose task fails', async () => {
		const r = await pveRequest<string>(sim, 'POST', '/nodes/pve/lxc/4242/status/start');
		expect(r.status).toBe(200);
		const t = await waitTask(sim, r.body?.data as string);
		expect(t.exitstatus).toBe("Configuration file 'nodes/pve/lxc/4242.conf' does not exist");
		expect((await taskLog(sim, r.body?.data as string)).at(-1)).toBe("TASK ERROR: Configuration file 'nodes/pve/lxc/4242.conf' does not exist");
	});

	it('a failed create removes the CT (rootfs on a storage without rootdir)', async () => {
		const r = await create({ vmid: 111, ostemplate: DEBIAN, rootfs: 'local:4' });
		expect(r.status).toBe(200);
		const t = await waitTask(sim, r.body?.data as string);
		expect(t.exitstatus).toBe("unable to create CT 111 - storage 'local' does not support container directories");
		expect((await get('/nodes/pve/lxc/111/status/current')).status).toBe(500);
		const noStorage = await create({ vmid: 111, ostemplate: DEBIAN, rootfs: 'nosuch:4' });
		expect((await waitTask(sim, noStorage.body?.data as string)).exitstatus).toBe("unable to create CT 111 - storage 'nosuch' does not exist");
		const noTemplate = await create({ vmid: 111, ostemplate: 'local:vztmpl/nope.tar.zst', rootfs: 'local-lvm:4' });
		expect((await waitTask(sim, noTemplate.body?.data as string)).exitstatus).toBe("unable to create CT 111 - volume 'local:vztmpl/nope.tar.zst' does not exist");
		expect((await get('/nodes/pve/lxc')).body?.data).toEqual([]);
	});

	it('a template that real clusters have but this one does not: the create task fails as on PVE', async () => {
		const r = await create({ vmid: 112, ostemplate: UBUNTU, rootfs: 'local-lvm:4' });
		const t = await waitTask(sim, r.body?.data as string);
		expect(t.exitstatus).toBe(`unable to create CT 112 - volume '${UBUNTU}' does not exist`);
		expect((await get('/nodes/pve/lxc')).body?.data).toEqual([]);
	});

	it('JSON bodies: booleans accepted, start=1 runs a separate vzstart task, a static ip= on the bridge is used', async () => {
		const prefix = simNetwork(sim).cidr.split('.').slice(0, 3).join('.');
		const r = await pveRequest<string>(sim, 'POST', '/nodes/pve/lxc', {
			json: {
				vmid: 113,
				hostname: 'json-ct',
				ostemplate: DEBIAN,
				rootfs: 'local-lvm:2',
				start: true,
				unprivileged: true,
				features: 'nesting=1',
				net0: `name=eth0,bridge=vmbr0,ip=${prefix}.207/24,gw=${prefix}.1`,
				'ssh-public-keys': key.pub
			}
		});
		expect(r.status).toBe(200);
		expect(await waitTask(sim, r.body?.data as string)).toMatchObject({ exitstatus: 'OK' });
		let startTask: { upid: string } | undefined;
		for (let i = 0; i < 50 && !startTask; i++) {
			const list = (await get('/nodes/pve/tasks', { vmid: 113, typefilter: 'vzstart' })).body?.data as { upid: string }[];
			startTask = list[0];
			if (!startTask) await new Promise((res) => setTimeout(res, 100));
		}
		expect(startTask?.upid).toMatch(UPID_RE);
		expect(startTask?.upid).not.toBe(r.body?.data);
		expect(await waitTask(sim, startTask?.upid as string)).toMatchObject({ exitstatus: 'OK' });
		const cfg = (await get('/nodes/pve/lxc/113/config')).body?.data as Record<string, string>;
		expect(cfg.net0).toBe(`name=eth0,bridge=vmbr0,gw=${prefix}.1,hwaddr=${cfg.net0.match(/hwaddr=([0-9A-F:]{17})/)?.[1]},ip=${prefix}.207/24,type=veth`);
		expect(cfg.net0).toMatch(/hwaddr=BC:24:11:/);
		expect(cfg.features).toBe('nesting=1');
		const ifs = (await get('/nodes/pve/lxc/113/interfaces')).body?.data as { name: string; inet?: string }[];
		expect(ifs.find((i) => i.name === 'eth0')?.inet).toBe(`${prefix}.207/24`);
		const del = await pveRequest<string>(sim, 'DELETE', '/nodes/pve/lxc/113', { query: { force: 1, purge: 1 } });
		expect(await waitTask(sim, del.body?.data as string)).toMatchObject({ exitstatus: 'OK' });
	});

	it('the form decoder splits on ; as well as &', async () => {
		const raw = `vmid=114;ostemplate=${encodeURIComponent(DEBIAN)};rootfs=local-lvm%3A2&hostname=semi-colon`;
		const r = await pveRequest<string>(sim, 'POST', '/nodes/pve/lxc', { rawForm: raw });
		expect(r.status).toBe(200);
		await waitTask(sim, r.body?.data as string);
		expect((await get('/nodes/pve/lxc/114/config')).body?.data).toMatchObject({ hostname: 'semi-colon', rootfs: 'local-lvm:vm-114-disk-0,size=2G' });
	});
});
