import { describe, expect, it } from 'vitest';
import net from 'node:net';
import { MockAgent } from 'undici';
import { ProxmoxClient } from './client';
import { caught, SECRET, TOKEN_ID, useFakePve } from './client.testkit';
import { fail, ok } from './fake-pve.testkit';

// The HTTP exchange (transport.ts) through the client's calls: token header, envelope and answer checks,
// error mapping, retries of GETs only, timeouts, aborts, per-template counting, an injected dispatcher.

const h = useFakePve();

describe('authenticate', () => {
	it('sends the API token header and returns the version', async () => {
		h.pve.handle = () => ok({ version: '8.4.1', release: '8.4', repoid: 'abc', extra: true });
		await expect(h.client.authenticate()).resolves.toEqual({ version: '8.4.1', release: '8.4', repoid: 'abc' });
		expect(h.pve.requests).toHaveLength(1);
		expect(h.pve.requests[0]).toMatchObject({ method: 'GET', path: '/version' });
		expect(h.pve.requests[0].authorization).toBe(`PVEAPIToken=${TOKEN_ID}=${SECRET}`);
	});

	it('reports a 401 once, never retried, naming the config keys but not the secret', async () => {
		h.pve.handle = () => ({ status: 401, reason: 'Authentication failed!' });
		const err = await caught(h.client.authenticate());
		expect(h.pve.requests).toHaveLength(1);
		expect(err.kind).toBe('auth');
		expect(err.upstreamStatus).toBe(401);
		expect(err.reason).toBe('Authentication failed!');
		expect(err.code).toBe('proxmox_auth');
		expect(err.message).toContain('Proxmox rejected the API token');
		expect(err.message).toContain('proxmox.token_id / token_secret');
		expect(err.message).not.toContain(SECRET);
	});
});

describe('answers', () => {
	it('counts per path template, not per concrete path', async () => {
		h.pve.handle = (req) => ok({ vmid: Number(req.path.split('/')[4]), status: 'running', name: 'x', ha: { managed: 0 } });
		await h.client.getLxcStatus('pve', 101);
		await h.client.getLxcStatus('pve', 102);
		expect(h.client.stats.byEndpoint).toEqual({ 'GET /nodes/{node}/lxc/{vmid}/status/current': 2 });
	});

	it('reports a response missing a required field as a server error, not a crash', async () => {
		h.pve.handle = () => ok([{ type: 'lxc', status: 'running', name: 'no-vmid' }]);
		const err = await caught(h.client.listLxc('pve'));
		expect(err.kind).toBe('server');
		expect(err.message).toMatch(/unexpected response to GET \/nodes\/\{node\}\/lxc: \[0\]\.vmid/);
	});

	it('reports a non-JSON 200 and a missing envelope clearly', async () => {
		h.pve.handle = () => ({ body: '<html>proxy</html>' });
		expect((await caught(h.client.authenticate())).message).toContain('not JSON');
		h.pve.handle = () => ({ body: { version: '8' } });
		expect((await caught(h.client.authenticate())).message).toContain('no "data" field');
	});
});

describe('errors', () => {
	it('maps a missing CT (500 Configuration file ... does not exist) to not_found', async () => {
		h.pve.handle = () => fail(500, "Configuration file 'nodes/pve/lxc/999.conf' does not exist");
		const err = await caught(h.client.getLxcStatus('pve', 999));
		expect(err.kind).toBe('not_found');
		expect(err.message).toContain('CT 999 does not exist on node pve');
		// deterministic answers are not retried
		expect(h.pve.requests).toHaveLength(1);
	});

	it('names the node when a proxied node is offline (595)', async () => {
		h.pve.handle = () => fail(595, 'Connection refused');
		const err = await caught(h.client.listLxc('pve2'));
		expect(err.kind).toBe('node_offline');
		expect(err.upstreamStatus).toBe(595);
		expect(err.message).toContain('Proxmox node pve2 is offline or unreachable');
	});

	it('explains a 501 (older PVE without the endpoint)', async () => {
		h.pve.handle = () => fail(501, "Method 'GET /nodes/pve/lxc/101/interfaces' not implemented");
		const err = await caught(h.client.getLxcInterfaces('pve', 101));
		expect(err.kind).toBe('server');
		expect(err.message).toContain('does not implement GET /nodes/{node}/lxc/{vmid}/interfaces');
		expect(h.pve.requests).toHaveLength(1);
	});

	it('retries a GET after a 5xx and then succeeds', async () => {
		let n = 0;
		h.pve.handle = () => (++n === 1 ? fail(503, 'Service Unavailable') : ok({ version: '8.4.1' }));
		await expect(h.client.authenticate()).resolves.toMatchObject({ version: '8.4.1' });
		expect(h.pve.requests).toHaveLength(2);
		expect(h.client.stats.byEndpoint['GET /version']).toBe(2);
	});

	it('gives up after the configured retries', async () => {
		h.pve.handle = () => fail(500, "can't lock file '/run/lock/lxc/pve-config-100.lock' - got timeout");
		const err = await caught(h.makeClient({ retries: 1 }).getLxcConfig('pve', 100));
		expect(h.pve.requests).toHaveLength(2);
		expect(err.code).toBe('conflict');
	});

	it('never retries a POST', async () => {
		h.pve.handle = () => fail(500, 'Internal Server Error');
		await caught(h.client.startLxc('pve', 101));
		expect(h.pve.requests).toHaveLength(1);
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
		h.pve.handle = () => ({ ...ok({ version: '8' }), delayMs: 400 });
		const err = await caught(h.makeClient({ requestTimeoutMs: 100, retries: 0 }).authenticate());
		expect(err.kind).toBe('timeout');
		expect(err.message).toContain('did not answer GET /version within 100 ms');
	});

	it("passes the caller's abort through unchanged", async () => {
		h.pve.handle = () => ({ ...ok({ version: '8' }), delayMs: 300 });
		const ac = new AbortController();
		const p = h.client.authenticate({ signal: ac.signal });
		setTimeout(() => ac.abort(), 30);
		await expect(p).rejects.toMatchObject({ name: 'AbortError' });
	});
});

describe('construction', () => {
	it('accepts an injected dispatcher (undici MockAgent)', async () => {
		const mock = new MockAgent();
		mock.disableNetConnect();
		mock
			.get('https://pve.example:8006')
			.intercept({ path: '/api2/json/cluster/nextid', method: 'GET' })
			.reply(200, { data: '123' }, { headers: { 'content-type': 'application/json' } });
		const c = new ProxmoxClient({ url: 'https://pve.example:8006/api2/json', tokenId: TOKEN_ID, tokenSecret: SECRET, dispatcher: mock });
		await expect(c.getNextVmid()).resolves.toBe(123);
		await mock.close();
	});
});
