import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { MockAgent } from 'undici';
import {
	ProxmoxClient,
	ProxmoxError,
	ProxmoxTaskError,
	fromConfig,
	type ProxmoxClientOptions
} from './proxmox';
import { SpyreError } from './errors';
import type { TaskLogLine } from '$lib/types/proxmox';
import { fail, makeCert, ok, startFakePve, type FakePve, type TestCert } from './proxmox/fake-pve.testkit';

const TOKEN_ID = 'root@pam!spyre';
const SECRET = '7f1c2a9e-0000-4000-8000-5ec7e75ec7e7';
const UPID_CREATE = 'UPID:pve:000D7AA2:08D5A17C:63DF62A5:vzcreate:101:root@pam!spyre:';
const UPID_DESTROY = 'UPID:pve:000D7AA3:08D5A17C:63DF62A6:vzdestroy:101:root@pam!spyre:';

let cert: TestCert;
let pve: FakePve;
let client: ProxmoxClient;

function makeClient(extra: Partial<ProxmoxClientOptions> = {}): ProxmoxClient {
	return new ProxmoxClient({
		url: pve.url,
		tokenId: TOKEN_ID,
		tokenSecret: SECRET,
		tls: { fingerprint: cert.fingerprint },
		requestTimeoutMs: 2000,
		retryDelayMs: 10,
		...extra
	});
}

async function caught(p: Promise<unknown>): Promise<ProxmoxError> {
	try {
		await p;
	} catch (err) {
		expect(err).toBeInstanceOf(ProxmoxError);
		expect(err).toBeInstanceOf(SpyreError);
		return err as ProxmoxError;
	}
	throw new Error('expected a rejection');
}

beforeAll(async () => {
	cert = makeCert();
	pve = await startFakePve(cert);
});
afterAll(async () => {
	await pve.close();
});
beforeEach(() => {
	pve.requests.length = 0;
	client = makeClient();
});
afterEach(async () => {
	await client.close();
});

describe('authenticate', () => {
	it('sends the API token header and returns the version', async () => {
		pve.handle = () => ok({ version: '8.4.1', release: '8.4', repoid: 'abc', extra: true });
		await expect(client.authenticate()).resolves.toEqual({ version: '8.4.1', release: '8.4', repoid: 'abc' });
		expect(pve.requests).toHaveLength(1);
		expect(pve.requests[0]).toMatchObject({ method: 'GET', path: '/version' });
		expect(pve.requests[0].authorization).toBe(`PVEAPIToken=${TOKEN_ID}=${SECRET}`);
	});

	it('reports a 401 once, never retried, naming the config keys but not the secret', async () => {
		pve.handle = () => ({ status: 401, reason: 'Authentication failed!' });
		const err = await caught(client.authenticate());
		expect(pve.requests).toHaveLength(1);
		expect(err.kind).toBe('auth');
		expect(err.status).toBe(401);
		expect(err.reason).toBe('Authentication failed!');
		expect(err.code).toBe('proxmox_auth');
		expect(err.message).toContain('Proxmox rejected the API token');
		expect(err.message).toContain('proxmox.token_id / token_secret');
		expect(err.message).not.toContain(SECRET);
	});
});

describe('reads', () => {
	it('lists containers, normalising a string vmid and 0/1 flags', async () => {
		pve.handle = () =>
			ok([
				{ vmid: '101', type: 'lxc', status: 'running', name: 'a', maxmem: 536870912, mem: '1024', cpus: 2, tags: 'spyre;dev', template: 0, unknownField: 'x' },
				{ vmid: 102, type: 'lxc', status: 'stopped', name: 'b', lock: 'create', template: '1' }
			]);
		const list = await client.listLxc('pve');
		expect(pve.requests[0].path).toBe('/nodes/pve/lxc');
		expect(list[0]).toMatchObject({ vmid: 101, type: 'lxc', status: 'running', mem: 1024, cpus: 2, tags: ['spyre', 'dev'], template: false });
		expect(list[0]).not.toHaveProperty('unknownField');
		expect(list[1]).toMatchObject({ vmid: 102, status: 'stopped', lock: 'create', template: true, uptime: 0 });
	});

	it('lists VMs and nodes', async () => {
		pve.handle = (req) =>
			req.path === '/nodes'
				? ok([{ node: 'pve', status: 'online', type: 'node', id: 'node/pve', maxcpu: 8, ssl_fingerprint: cert.fingerprint.toLowerCase() }])
				: ok([{ vmid: 100, status: 'running', name: 'vm' }]);
		await expect(client.listVm('pve')).resolves.toMatchObject([{ vmid: 100, type: 'qemu', status: 'running' }]);
		await expect(client.listNodes()).resolves.toMatchObject([
			{ node: 'pve', status: 'online', maxcpu: 8, sslFingerprint: cert.fingerprint }
		]);
		expect(pve.requests.map((r) => r.path)).toEqual(['/nodes/pve/qemu', '/nodes']);
	});

	it('reads /cluster/resources?type=vm in one call and counts it per endpoint', async () => {
		pve.handle = () =>
			ok([
				{ id: 'lxc/101', type: 'lxc', vmid: 101, node: 'pve', status: 'unknown', template: 0 },
				{ id: 'qemu/100', type: 'qemu', vmid: '100', node: 'pve2', status: 'running', maxcpu: 4 },
				{ id: 'storage/pve/local', type: 'storage', vmid: 1, node: 'pve', status: 'available' }
			]);
		const all = await client.clusterResources();
		expect(pve.requests[0].path).toBe('/cluster/resources');
		expect(pve.requests[0].query.get('type')).toBe('vm');
		expect(all.map((r) => [r.id, r.vmid, r.status])).toEqual([
			['lxc/101', 101, 'unknown'],
			['qemu/100', 100, 'running']
		]);
		expect(client.stats.total).toBe(1);
		expect(client.stats.byEndpoint).toEqual({ 'GET /cluster/resources': 1 });
		client.resetStats();
		expect(client.stats).toEqual({ total: 0, byEndpoint: {} });
	});

	it('counts per path template, not per concrete path', async () => {
		pve.handle = (req) => ok({ vmid: Number(req.path.split('/')[4]), status: 'running', name: 'x', ha: { managed: 0 } });
		await client.getLxcStatus('pve', 101);
		await client.getLxcStatus('pve', 102);
		expect(client.stats.byEndpoint).toEqual({ 'GET /nodes/{node}/lxc/{vmid}/status/current': 2 });
	});

	it('parses status, config and interfaces', async () => {
		pve.handle = (req) => {
			if (req.path.endsWith('/status/current')) return ok({ vmid: '101', status: 'running', name: 'box', uptime: 5, ha: { managed: 0 } });
			if (req.path.endsWith('/config'))
				return ok({ hostname: 'box', cores: 2, memory: 2048, rootfs: 'local-lvm:vm-101-disk-0,size=8G', net0: 'name=eth0,bridge=vmbr0,ip=dhcp', unprivileged: 1, onboot: 0, digest: 'abc' });
			return ok([
				{ name: 'lo', inet: '127.0.0.1/8', hwaddr: '00:00:00:00:00:00' },
				{ name: 'eth0', inet: '127.1.0.5/8', 'ip-addresses': [{ 'ip-address': '127.1.0.5', 'ip-address-type': 'inet', prefix: 8 }] }
			]);
		};
		await expect(client.getLxcStatus('pve', 101)).resolves.toMatchObject({ vmid: 101, status: 'running', uptime: 5, ha: { managed: false } });
		const cfg = await client.getLxcConfig('pve', 101);
		expect(cfg).toMatchObject({ hostname: 'box', cores: 2, memory: 2048, unprivileged: true, onboot: false, digest: 'abc' });
		expect(cfg.raw.rootfs).toBe('local-lvm:vm-101-disk-0,size=8G');
		const ifaces = await client.getLxcInterfaces('pve', 101);
		expect(ifaces[1]).toMatchObject({ name: 'eth0', ipAddresses: [{ address: '127.1.0.5', type: 'inet', prefix: 8 }] });
		await expect(client.waitForIp('pve', 101)).resolves.toBe('127.1.0.5');
	});

	it('treats data:null from /interfaces (stopped CT) as no interfaces', async () => {
		pve.handle = () => ok(null);
		await expect(client.getLxcInterfaces('pve', 101)).resolves.toEqual([]);
		const err = await caught(client.waitForIp('pve', 101, { timeout: 150, intervalMs: 20 }));
		expect(err.kind).toBe('timeout');
		expect(err.message).toContain('CT 101');
	});

	it('turns the /cluster/nextid string into a number, and reports a taken vmid', async () => {
		pve.handle = (req) =>
			req.query.get('vmid') === '100'
				? fail(400, 'Parameter verification failed.', { data: null, errors: { vmid: 'VM 100 already exists' } })
				: ok('105');
		await expect(client.getNextVmid()).resolves.toBe(105);
		expect(pve.requests[0].query.has('vmid')).toBe(false);
		const err = await caught(client.getNextVmid(100));
		expect(err.kind).toBe('params');
		expect(err.errors).toEqual({ vmid: 'VM 100 already exists' });
	});

	it('lists only vztmpl templates of a storage', async () => {
		pve.handle = () =>
			ok([
				{ volid: 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst', format: 'tzst', content: 'vztmpl', size: 123, ctime: 1700000000 },
				{ volid: 'local:iso/x.iso', format: 'iso', content: 'iso', size: 1 }
			]);
		const list = await client.listTemplates('pve', 'local');
		expect(pve.requests[0].path).toBe('/nodes/pve/storage/local/content');
		expect(pve.requests[0].query.get('content')).toBe('vztmpl');
		expect(list).toEqual([
			{ volid: 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst', format: 'tzst', content: 'vztmpl', size: 123, ctime: 1700000000, name: 'debian-12-standard_12.7-1_amd64.tar.zst' }
		]);
	});

	it('reports a response missing a required field as a server error, not a crash', async () => {
		pve.handle = () => ok([{ type: 'lxc', status: 'running', name: 'no-vmid' }]);
		const err = await caught(client.listLxc('pve'));
		expect(err.kind).toBe('server');
		expect(err.message).toMatch(/unexpected response to GET \/nodes\/\{node\}\/lxc: \[0\]\.vmid/);
	});

	it('reports a non-JSON 200 and a missing envelope clearly', async () => {
		pve.handle = () => ({ body: '<html>proxy</html>' });
		expect((await caught(client.authenticate())).message).toContain('not JSON');
		pve.handle = () => ({ body: { version: '8' } });
		expect((await caught(client.authenticate())).message).toContain('no "data" field');
	});
});

describe('errors', () => {
	it('maps a missing CT (500 Configuration file ... does not exist) to not_found', async () => {
		pve.handle = () => fail(500, "Configuration file 'nodes/pve/lxc/999.conf' does not exist");
		const err = await caught(client.getLxcStatus('pve', 999));
		expect(err.kind).toBe('not_found');
		expect(err.message).toContain('CT 999 does not exist on node pve');
		// deterministic answers are not retried
		expect(pve.requests).toHaveLength(1);
	});

	it('names the node when a proxied node is offline (595)', async () => {
		pve.handle = () => fail(595, 'Connection refused');
		const err = await caught(client.listLxc('pve2'));
		expect(err.kind).toBe('node_offline');
		expect(err.status).toBe(595);
		expect(err.message).toContain('Proxmox node pve2 is offline or unreachable');
	});

	it('explains a 501 (older PVE without the endpoint)', async () => {
		pve.handle = () => fail(501, "Method 'GET /nodes/pve/lxc/101/interfaces' not implemented");
		const err = await caught(client.getLxcInterfaces('pve', 101));
		expect(err.kind).toBe('server');
		expect(err.message).toContain('does not implement GET /nodes/{node}/lxc/{vmid}/interfaces');
		expect(pve.requests).toHaveLength(1);
	});

	it('retries a GET after a 5xx and then succeeds', async () => {
		let n = 0;
		pve.handle = () => (++n === 1 ? fail(503, 'Service Unavailable') : ok({ version: '8.4.1' }));
		await expect(client.authenticate()).resolves.toMatchObject({ version: '8.4.1' });
		expect(pve.requests).toHaveLength(2);
		expect(client.stats.byEndpoint['GET /version']).toBe(2);
	});

	it('gives up after the configured retries', async () => {
		pve.handle = () => fail(500, "can't lock file '/run/lock/lxc/pve-config-100.lock' - got timeout");
		const err = await caught(makeClient({ retries: 1 }).getLxcConfig('pve', 100));
		expect(pve.requests).toHaveLength(2);
		expect(err.code).toBe('conflict');
	});

	it('never retries a POST', async () => {
		pve.handle = () => fail(500, 'Internal Server Error');
		await caught(client.startLxc('pve', 101));
		expect(pve.requests).toHaveLength(1);
	});

	it('reports a refused connection with URL and errno code', async () => {
		const port = await new Promise<number>((resolve) => {
			const srv = net.createServer().listen(0, '127.0.0.1', () => {
				const p = (srv.address() as net.AddressInfo).port;
				srv.close(() => resolve(p));
			});
		});
		const c = new ProxmoxClient({ url: `https://127.0.0.1:${port}`, tokenId: TOKEN_ID, tokenSecret: SECRET, retries: 1, retryDelayMs: 5 });
		const err = await caught(c.listNodes());
		await c.close();
		expect(err.kind).toBe('network');
		expect(err.code).toBe('proxmox_unreachable');
		expect(err.message).toBe(`Cannot reach Proxmox at https://127.0.0.1:${port}: ECONNREFUSED`);
		expect(c.stats.total).toBe(2);
	});

	it('times out a request that does not answer', async () => {
		pve.handle = () => ({ ...ok({ version: '8' }), delayMs: 400 });
		const err = await caught(makeClient({ requestTimeoutMs: 100, retries: 0 }).authenticate());
		expect(err.kind).toBe('timeout');
		expect(err.message).toContain('did not answer GET /version within 100 ms');
	});

	it("passes the caller's abort through unchanged", async () => {
		pve.handle = () => ({ ...ok({ version: '8' }), delayMs: 300 });
		const ac = new AbortController();
		const p = client.authenticate({ signal: ac.signal });
		setTimeout(() => ac.abort(), 30);
		await expect(p).rejects.toMatchObject({ name: 'AbortError' });
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
		pve.handle = () => ok(UPID_CREATE);
		await expect(client.createLxc('pve', params)).resolves.toBe(UPID_CREATE);
		const req = pve.requests[0];
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
		pve.handle = () =>
			fail(400, 'Parameter verification failed.', {
				data: null,
				message: 'Parameter verification failed.\n',
				errors: { hostname: "invalid format - value does not look like a valid DNS name\n", memory: 'value must have a minimum value of 16' }
			});
		const err = await caught(client.createLxc('pve', { ...params, hostname: 'bad_name!' }));
		expect(err.kind).toBe('params');
		expect(err.status).toBe(400);
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
		pve.handle = () => fail(500, 'CT is locked (create)');
		const err = await caught(client.destroyLxc('pve', 104));
		expect(err.kind).toBe('server');
		expect(err.reason).toBe('CT is locked (create)');
		expect(err.bodyMessage).toBeUndefined();
		expect(err.message).toMatch(/^CT 104 is locked \(create\)/);
		expect(err.code).toBe('conflict');
	});

	it('prefers body.message (trailing newline stripped) over the reason phrase', async () => {
		pve.handle = () => fail(500, "CT 101 already exists on node 'pve'", { data: null, message: "CT 101 already exists on node 'pve'\n" });
		const err = await caught(client.createLxc('pve', params));
		expect(err.message).toBe("CT 101 already exists on node 'pve'");
		expect(err.bodyMessage).toBe("CT 101 already exists on node 'pve'");
		expect(pve.requests).toHaveLength(1);
	});

	it('explains a 403 with the missing privilege and path', async () => {
		pve.handle = () => fail(403, 'Permission check failed (/vms/101, VM.Allocate)');
		const err = await caught(client.createLxc('pve', params));
		expect(err.kind).toBe('forbidden');
		expect(err.status).toBe(403);
		expect(err.message).toContain('VM.Allocate');
		expect(err.message).toContain('/vms/101');
		expect(err.message).toContain(`API token ${TOKEN_ID} lacks`);
	});

	it('sends a static address as ip=CIDR,gw=IP', async () => {
		pve.handle = () => ok(UPID_CREATE);
		await client.createLxc('pve', { ...params, net0: { bridge: 'vmbr1', ip: { cidr: '10.0.0.50/24', gw: '10.0.0.1' } } });
		expect(new URLSearchParams(pve.requests[0].body).get('net0')).toBe('name=eth0,bridge=vmbr1,ip=10.0.0.50/24,gw=10.0.0.1');
	});

	it('rejects a 200 that carries no UPID', async () => {
		pve.handle = () => ok(null);
		expect((await caught(client.createLxc('pve', params))).kind).toBe('server');
	});
});

describe('destroy and power', () => {
	it('destroys with purge and destroy-unreferenced-disks in the query, no body', async () => {
		pve.handle = () => ok(UPID_DESTROY);
		await expect(client.destroyLxc('pve', 101)).resolves.toBe(UPID_DESTROY);
		await client.destroyLxc('pve', 101, { force: true });
		const [plain, forced] = pve.requests;
		expect(plain).toMatchObject({ method: 'DELETE', path: '/nodes/pve/lxc/101', body: '' });
		expect(plain.contentType).toBeUndefined();
		expect(Object.fromEntries(plain.query)).toEqual({ purge: '1', 'destroy-unreferenced-disks': '1' });
		expect(Object.fromEntries(forced.query)).toEqual({ purge: '1', 'destroy-unreferenced-disks': '1', force: '1' });
	});

	it('starts, stops and shuts down', async () => {
		pve.handle = () => ok(UPID_CREATE);
		await client.startLxc('pve', 101);
		await client.stopLxc('pve', 101);
		await client.shutdownLxc('pve', 101, { timeout: 30, forceStop: true });
		expect(pve.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
			'POST /nodes/pve/lxc/101/status/start',
			'POST /nodes/pve/lxc/101/status/stop',
			'POST /nodes/pve/lxc/101/status/shutdown'
		]);
		expect(Object.fromEntries(new URLSearchParams(pve.requests[2].body))).toEqual({ timeout: '30', forceStop: '1' });
	});
});

describe('waitForTask', () => {
	/** A task that writes one log line per status poll, then ends with `exitstatus`. */
	function scriptTask(lines: string[], exitstatus: string, upid = UPID_CREATE) {
		let polls = 0;
		let written = 0;
		pve.handle = (req) => {
			if (req.path === `/nodes/pve/tasks/${upid}/status`) {
				polls++;
				written = Math.min(lines.length, polls);
				const done = written === lines.length;
				return ok({ upid, node: 'pve', pid: 1, pstart: 2, starttime: 3, type: 'vzcreate', id: '101', user: TOKEN_ID, status: done ? 'stopped' : 'running', ...(done ? { exitstatus } : {}) });
			}
			if (req.path === `/nodes/pve/tasks/${upid}/log`) {
				const start = Number(req.query.get('start') ?? 0);
				const limit = Number(req.query.get('limit') ?? 50);
				const page = lines.slice(0, written).map((t, i) => ({ n: i + 1, t })).slice(start, start + limit);
				return ok(page, { total: written });
			}
			return fail(501, 'unexpected');
		};
	}

	it('streams new log lines in order and surfaces the exit status of a failed task', async () => {
		const lines = ['extracting archive', 'Total bytes read: 1234', 'TASK ERROR: unable to create CT 101 - no space left'];
		scriptTask(lines, 'unable to create CT 101 - no space left');
		const seen: TaskLogLine[] = [];
		const err = await caught(client.waitForTask('pve', UPID_CREATE, { onLog: (l) => seen.push(l), poll: { initialMs: 5, maxMs: 10 } }));
		expect(err).toBeInstanceOf(ProxmoxTaskError);
		expect(err.kind).toBe('task');
		expect(err.message).toBe('unable to create CT 101 - no space left');
		expect((err as ProxmoxTaskError).exitstatus).toBe('unable to create CT 101 - no space left');
		expect((err as ProxmoxTaskError).log.at(-1)?.t).toBe(lines[2]);
		expect(seen).toEqual(lines.map((t, i) => ({ n: i + 1, t })));
		// log reads continue where the last one stopped
		const starts = pve.requests.filter((r) => r.path.endsWith('/log')).map((r) => Number(r.query.get('start')));
		expect(starts).toEqual([...starts].sort((a, b) => a - b));
		expect(starts.at(-1)).toBeGreaterThan(0);
		// the UPID travels in the path with its colons unescaped
		expect(pve.requests[0].rawUrl).toContain(`/tasks/${UPID_CREATE.replace('!', '!')}/status`);
	});

	it('counts WARNINGS: N as success and resolves with the final status', async () => {
		scriptTask(['warning: something', 'TASK WARNINGS: 1'], 'WARNINGS: 1');
		const status = await client.waitForTask('pve', UPID_CREATE, { poll: { initialMs: 5 } });
		expect(status).toMatchObject({ status: 'stopped', exitstatus: 'WARNINGS: 1', type: 'vzcreate', id: '101' });
	});

	it('resolves on OK', async () => {
		scriptTask(['TASK OK'], 'OK');
		await expect(client.waitForTask('pve', UPID_CREATE)).resolves.toMatchObject({ exitstatus: 'OK' });
		// without onLog a successful task's log is not read at all
		expect(pve.requests.filter((r) => r.path.endsWith('/log'))).toHaveLength(0);
	});

	it('times out with a clear error', async () => {
		pve.handle = (req) =>
			req.path.endsWith('/status') ? ok({ upid: UPID_CREATE, status: 'running' }) : ok([{ n: 1, t: 'no content' }], { total: 1 });
		const seen: TaskLogLine[] = [];
		const started = Date.now();
		const err = await caught(client.waitForTask('pve', UPID_CREATE, { timeout: 300, onLog: (l) => seen.push(l) }));
		expect(Date.now() - started).toBeLessThan(2000);
		expect(err.kind).toBe('timeout');
		expect(err.code).toBe('timeout');
		expect(err.message).toContain('vzcreate for 101 on node pve did not finish within 300 ms');
		// the placeholder line of an empty log is not a log line
		expect(seen).toEqual([]);
	});

	it('reports an unknown task as not_found', async () => {
		pve.handle = () => fail(400, 'Parameter verification failed.', { data: null, errors: { upid: 'no such task' } });
		const err = await caught(client.waitForTask('pve', UPID_CREATE));
		expect(err.kind).toBe('not_found');
	});
});

describe('construction', () => {
	it('builds from the config section', async () => {
		pve.handle = () => ok({ version: '9.0.3' });
		const c = fromConfig({
			url: pve.url,
			node: 'pve',
			tokenId: TOKEN_ID,
			tokenSecret: SECRET,
			tls: { fingerprint: cert.fingerprint },
			storage: 'local-lvm',
			templateStorage: 'local',
			bridge: 'vmbr0',
			network: { mode: 'dhcp' },
			defaults: { cores: 2, memoryMb: 2048, diskGb: 8 },
			requestTimeoutMs: 1000,
			taskTimeoutMs: 5000,
			ipTimeoutMs: 5000
		});
		await expect(c.authenticate()).resolves.toEqual({ version: '9.0.3' });
		expect(c.taskTimeoutMs).toBe(5000);
		await c.close();
	});

	it('accepts an injected dispatcher (undici MockAgent)', async () => {
		const mock = new MockAgent();
		mock.disableNetConnect();
		mock.get('https://pve.example:8006')
			.intercept({ path: '/api2/json/cluster/nextid', method: 'GET' })
			.reply(200, { data: '123' }, { headers: { 'content-type': 'application/json' } });
		const c = new ProxmoxClient({ url: 'https://pve.example:8006/api2/json', tokenId: TOKEN_ID, tokenSecret: SECRET, dispatcher: mock });
		await expect(c.getNextVmid()).resolves.toBe(123);
		await mock.close();
	});
});
