import { describe, expect, it } from 'vitest';
import { fromConfig } from './client';
import { caught, SECRET, TOKEN_ID, UPID_CREATE, UPID_DESTROY, useFakePve } from './client.testkit';
import { fail, ok } from './fake-pve.testkit';

// Each client call against a fake PVE: the path and parameters it sends, and what it makes of the answer.

const h = useFakePve();

describe('reads', () => {
	it('lists containers, normalising a string vmid and 0/1 flags', async () => {
		h.pve.handle = () =>
			ok([
				{ vmid: '101', type: 'lxc', status: 'running', name: 'a', maxmem: 536870912, mem: '1024', cpus: 2, tags: 'spyre;dev', template: 0, unknownField: 'x' },
				{ vmid: 102, type: 'lxc', status: 'stopped', name: 'b', lock: 'create', template: '1' }
			]);
		const list = await h.client.listLxc('pve');
		expect(h.pve.requests[0].path).toBe('/nodes/pve/lxc');
		expect(list[0]).toMatchObject({ vmid: 101, type: 'lxc', status: 'running', mem: 1024, cpus: 2, tags: ['spyre', 'dev'], template: false });
		expect(list[0]).not.toHaveProperty('unknownField');
		expect(list[1]).toMatchObject({ vmid: 102, status: 'stopped', lock: 'create', template: true, uptime: 0 });
	});

	it('lists VMs and nodes', async () => {
		h.pve.handle = (req) =>
			req.path === '/nodes'
				? ok([{ node: 'pve', status: 'online', type: 'node', id: 'node/pve', maxcpu: 8, ssl_fingerprint: h.cert.fingerprint.toLowerCase() }])
				: ok([{ vmid: 100, status: 'running', name: 'vm' }]);
		await expect(h.client.listVm('pve')).resolves.toMatchObject([{ vmid: 100, type: 'qemu', status: 'running' }]);
		await expect(h.client.listNodes()).resolves.toMatchObject([{ node: 'pve', status: 'online', maxcpu: 8, sslFingerprint: h.cert.fingerprint }]);
		expect(h.pve.requests.map((r) => r.path)).toEqual(['/nodes/pve/qemu', '/nodes']);
	});

	it('reads /cluster/resources?type=vm in one call and counts it per endpoint', async () => {
		h.pve.handle = () =>
			ok([
				{ id: 'lxc/101', type: 'lxc', vmid: 101, node: 'pve', status: 'unknown', template: 0 },
				{ id: 'qemu/100', type: 'qemu', vmid: '100', node: 'pve2', status: 'running', maxcpu: 4 },
				{ id: 'storage/pve/local', type: 'storage', vmid: 1, node: 'pve', status: 'available' }
			]);
		const all = await h.client.clusterResources();
		expect(h.pve.requests[0].path).toBe('/cluster/resources');
		expect(h.pve.requests[0].query.get('type')).toBe('vm');
		expect(all.map((r) => [r.id, r.vmid, r.status])).toEqual([
			['lxc/101', 101, 'unknown'],
			['qemu/100', 100, 'running']
		]);
		expect(h.client.stats.total).toBe(1);
		expect(h.client.stats.byEndpoint).toEqual({ 'GET /cluster/resources': 1 });
		h.client.resetStats();
		expect(h.client.stats).toEqual({ total: 0, byEndpoint: {} });
	});

	it('parses status, config and interfaces', async () => {
		h.pve.handle = (req) => {
			if (req.path.endsWith('/status/current')) return ok({ vmid: '101', status: 'running', name: 'box', uptime: 5, ha: { managed: 0 } });
			if (req.path.endsWith('/config'))
				return ok({ hostname: 'box', cores: 2, memory: 2048, rootfs: 'local-lvm:vm-101-disk-0,size=8G', net0: 'name=eth0,bridge=vmbr0,ip=dhcp', unprivileged: 1, onboot: 0, digest: 'abc' });
			return ok([
				{ name: 'lo', inet: '127.0.0.1/8', hwaddr: '00:00:00:00:00:00' },
				{ name: 'eth0', inet: '127.1.0.5/8', 'ip-addresses': [{ 'ip-address': '127.1.0.5', 'ip-address-type': 'inet', prefix: 8 }] }
			]);
		};
		await expect(h.client.getLxcStatus('pve', 101)).resolves.toMatchObject({ vmid: 101, status: 'running', uptime: 5, ha: { managed: false } });
		const cfg = await h.client.getLxcConfig('pve', 101);
		expect(cfg).toMatchObject({ hostname: 'box', cores: 2, memory: 2048, unprivileged: true, onboot: false, digest: 'abc' });
		expect(cfg.raw.rootfs).toBe('local-lvm:vm-101-disk-0,size=8G');
		const ifaces = await h.client.getLxcInterfaces('pve', 101);
		expect(ifaces[1]).toMatchObject({ name: 'eth0', ipAddresses: [{ address: '127.1.0.5', type: 'inet', prefix: 8 }] });
		await expect(h.client.waitForIp('pve', 101)).resolves.toBe('127.1.0.5');
	});
	it('turns the /cluster/nextid string into a number, and reports a taken vmid', async () => {
		h.pve.handle = (req) => (req.query.get('vmid') === '100' ? fail(400, 'Parameter verification failed.', { data: null, errors: { vmid: 'VM 100 already exists' } }) : ok('105'));
		await expect(h.client.getNextVmid()).resolves.toBe(105);
		expect(h.pve.requests[0].query.has('vmid')).toBe(false);
		const err = await caught(h.client.getNextVmid(100));
		expect(err.kind).toBe('params');
		expect(err.errors).toEqual({ vmid: 'VM 100 already exists' });
	});

	it('lists only vztmpl templates of a storage', async () => {
		h.pve.handle = () =>
			ok([
				{ volid: 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst', format: 'tzst', content: 'vztmpl', size: 123, ctime: 1700000000 },
				{ volid: 'local:iso/x.iso', format: 'iso', content: 'iso', size: 1 }
			]);
		const list = await h.client.listTemplates('pve', 'local');
		expect(h.pve.requests[0].path).toBe('/nodes/pve/storage/local/content');
		expect(h.pve.requests[0].query.get('content')).toBe('vztmpl');
		expect(list).toEqual([
			{ volid: 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst', format: 'tzst', content: 'vztmpl', size: 123, ctime: 1700000000, name: 'debian-12-standard_12.7-1_amd64.tar.zst' }
		]);
	});
});

describe('createLxc', () => {
	const params = {
		vmid: 101,
		ostemplate: 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst',
		hostname: 'dev-box',
		cores: 2,
		memory: 2048,
		swap: 512,
		rootfs: { storage: 'local-lvm', sizeGb: 8 },
		net0: { bridge: 'vmbr0', ip: 'dhcp' as const },
		features: { nesting: true },
		unprivileged: true,
		sshPublicKeys: ['ssh-ed25519 AAAAC3Nza a@b', 'ssh-rsa AAAAB3Nza+/= c@d'],
		start: false,
		tags: ['spyre', 'dev'],
		description: 'a & b = c; d'
	};

	it('posts a form body (booleans 0/1, property strings) and returns the UPID', async () => {
		h.pve.handle = () => ok(UPID_CREATE);
		await expect(h.client.createLxc('pve', params)).resolves.toBe(UPID_CREATE);
		const req = h.pve.requests[0];
		expect(req).toMatchObject({ method: 'POST', path: '/nodes/pve/lxc' });
		expect(req.contentType).toBe('application/x-www-form-urlencoded');
		const form = new URLSearchParams(req.body);
		expect(Object.fromEntries(form)).toEqual({
			vmid: '101',
			ostemplate: params.ostemplate,
			hostname: 'dev-box',
			cores: '2',
			memory: '2048',
			swap: '512',
			rootfs: 'local-lvm:8',
			net0: 'name=eth0,bridge=vmbr0,ip=dhcp',
			features: 'nesting=1',
			unprivileged: '1',
			'ssh-public-keys': 'ssh-ed25519 AAAAC3Nza a@b\nssh-rsa AAAAB3Nza+/= c@d',
			start: '0',
			tags: 'spyre;dev',
			description: 'a & b = c; d'
		});
		// PVE's decoder splits on & ; and =: every such character must arrive percent-encoded
		expect(req.body).not.toMatch(/true|false/);
		expect(req.body).toContain('description=a+%26+b+%3D+c%3B+d');
	});

	it('lists per-parameter errors of a 400', async () => {
		h.pve.handle = () =>
			fail(400, 'Parameter verification failed.', {
				data: null,
				message: 'Parameter verification failed.\n',
				errors: { hostname: 'invalid format - value does not look like a valid DNS name\n', memory: 'value must have a minimum value of 16' }
			});
		const err = await caught(h.client.createLxc('pve', { ...params, hostname: 'bad_name!' }));
		expect(err.kind).toBe('params');
		expect(err.upstreamStatus).toBe(400);
		expect(err.code).toBe('validation');
		expect(err.bodyMessage).toBe('Parameter verification failed.');
		expect(err.errors).toEqual({
			hostname: 'invalid format - value does not look like a valid DNS name',
			memory: 'value must have a minimum value of 16'
		});
		expect(err.fields).toEqual(err.errors);
		expect(err.message).toContain('hostname: invalid format - value does not look like a valid DNS name');
		expect(err.message).toContain('memory: value must have a minimum value of 16');
	});

	it('adds the vmid to a reason-phrase-only 500 "CT is locked"', async () => {
		h.pve.handle = () => fail(500, 'CT is locked (create)');
		const err = await caught(h.client.destroyLxc('pve', 104));
		expect(err.kind).toBe('server');
		expect(err.reason).toBe('CT is locked (create)');
		expect(err.bodyMessage).toBeUndefined();
		expect(err.message).toMatch(/^CT 104 is locked \(create\)/);
		expect(err.code).toBe('conflict');
	});

	it('prefers body.message (trailing newline stripped) over the reason phrase', async () => {
		h.pve.handle = () => fail(500, "CT 101 already exists on node 'pve'", { data: null, message: "CT 101 already exists on node 'pve'\n" });
		const err = await caught(h.client.createLxc('pve', params));
		expect(err.message).toBe("CT 101 already exists on node 'pve'");
		expect(err.bodyMessage).toBe("CT 101 already exists on node 'pve'");
		expect(h.pve.requests).toHaveLength(1);
	});

	it('explains a 403 with the missing privilege and path', async () => {
		h.pve.handle = () => fail(403, 'Permission check failed (/vms/101, VM.Allocate)');
		const err = await caught(h.client.createLxc('pve', params));
		expect(err.kind).toBe('forbidden');
		expect(err.upstreamStatus).toBe(403);
		expect(err.message).toContain('VM.Allocate');
		expect(err.message).toContain('/vms/101');
		expect(err.message).toContain(`API token ${TOKEN_ID} lacks`);
	});

	it('sends a static address as ip=CIDR,gw=IP', async () => {
		h.pve.handle = () => ok(UPID_CREATE);
		await h.client.createLxc('pve', { ...params, net0: { bridge: 'vmbr1', ip: { cidr: '10.0.0.50/24', gw: '10.0.0.1' } } });
		expect(new URLSearchParams(h.pve.requests[0].body).get('net0')).toBe('name=eth0,bridge=vmbr1,ip=10.0.0.50/24,gw=10.0.0.1');
	});

	it('rejects a 200 that carries no UPID', async () => {
		h.pve.handle = () => ok(null);
		expect((await caught(h.client.createLxc('pve', params))).kind).toBe('server');
	});
});

describe('destroy and power', () => {
	it('destroys with purge and destroy-unreferenced-disks in the query, no body', async () => {
		h.pve.handle = () => ok(UPID_DESTROY);
		await expect(h.client.destroyLxc('pve', 101)).resolves.toBe(UPID_DESTROY);
		await h.client.destroyLxc('pve', 101, { force: true });
		const [plain, forced] = h.pve.requests;
		expect(plain).toMatchObject({ method: 'DELETE', path: '/nodes/pve/lxc/101', body: '' });
		expect(plain.contentType).toBeUndefined();
		expect(Object.fromEntries(plain.query)).toEqual({ purge: '1', 'destroy-unreferenced-disks': '1' });
		expect(Object.fromEntries(forced.query)).toEqual({ purge: '1', 'destroy-unreferenced-disks': '1', force: '1' });
	});

	it('starts, stops and shuts down', async () => {
		h.pve.handle = () => ok(UPID_CREATE);
		await h.client.startLxc('pve', 101);
		await h.client.stopLxc('pve', 101);
		await h.client.shutdownLxc('pve', 101, { timeout: 30, forceStop: true });
		expect(h.pve.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /nodes/pve/lxc/101/status/start', 'POST /nodes/pve/lxc/101/status/stop', 'POST /nodes/pve/lxc/101/status/shutdown']);
		expect(Object.fromEntries(new URLSearchParams(h.pve.requests[2].body))).toEqual({ timeout: '30', forceStop: '1' });
	});
});

describe('clones and templates', () => {
	it('clones with only the options given (booleans 0/1) and returns the UPID', async () => {
		const upid = 'UPID:pve:000D7AA4:08D5A17C:63DF62A7:vzclone:101:root@pam!spyre:';
		h.pve.handle = () => ok(upid);
		await expect(h.client.cloneLxc('pve', 101, 120, { hostname: 'attempt-1', snapname: 'before-task', full: true })).resolves.toBe(upid);
		await h.client.cloneLxc('pve', 101, 121, { full: false });
		const [first, second] = h.pve.requests;
		expect(first).toMatchObject({ method: 'POST', path: '/nodes/pve/lxc/101/clone' });
		expect(Object.fromEntries(new URLSearchParams(first.body))).toEqual({ newid: '120', full: '1', snapname: 'before-task', hostname: 'attempt-1' });
		expect(Object.fromEntries(new URLSearchParams(second.body))).toEqual({ newid: '121', full: '0' });
	});

	it('converts to a template, whose answer is null (no UPID)', async () => {
		h.pve.handle = () => ok(null);
		await expect(h.client.convertToTemplate('pve', 101)).resolves.toBeUndefined();
		expect(h.pve.requests[0]).toMatchObject({ method: 'POST', path: '/nodes/pve/lxc/101/template' });
	});

	it('reports a refused clone with the Proxmox text', async () => {
		h.pve.handle = () => fail(500, "Linked clone feature for 'local-lvm:vm-101-disk-0' is not available");
		const err = await caught(h.client.cloneLxc('pve', 101, 120, { full: false }));
		expect(err.message).toContain("Linked clone feature for 'local-lvm:vm-101-disk-0' is not available");
	});
});

describe('construction', () => {
	it('builds from the config section', async () => {
		h.pve.handle = () => ok({ version: '9.0.3' });
		const c = fromConfig({
			url: h.pve.url,
			node: 'pve',
			tokenId: TOKEN_ID,
			tokenSecret: SECRET,
			tls: { fingerprint: h.cert.fingerprint },
			storage: 'local-lvm',
			templateStorage: 'local',
			bridge: 'vmbr0',
			network: { mode: 'dhcp', cidr: '10.0.0.0/24' },
			defaults: { cores: 2, memoryMb: 2048, diskGb: 8 },
			requestTimeoutMs: 1000,
			taskTimeoutMs: 5000,
			ipTimeoutMs: 5000
		});
		await expect(c.authenticate()).resolves.toEqual({ version: '9.0.3' });
		expect(c.taskTimeoutMs).toBe(5000);
		await c.close();
	});
});
