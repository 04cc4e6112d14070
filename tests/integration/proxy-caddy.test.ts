// Service URLs through the real caddy: an environment provisioned from a config with a `web` service gets
// a route in Caddy (applied over the loopback admin API, retried while Caddy is not up yet) at
// web--<hostname>.<base_domain>, the service (python3 -m http.server in the simulator CT) answers through
// Caddy with the service's own credential from the handshake and is refused without it (Spyre's session
// cookie is no credential there), nothing is served under /svc/ on Spyre's host, its health turns healthy live, the admin API is reachable from neither public listener, a
// refused apply keeps Caddy's previous routes, an https service with a self-signed certificate is reached
// only where its config opted out of the certificate check, and destroy takes the route away.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readServer, writeRoutes } from '../../src/lib/server/proxy/caddy-admin';
import { buildRoute, mergeRoutes } from '../../src/lib/server/proxy/routes';
import { SERVICE_COOKIE } from '../../src/lib/server/auth/session-cookie';
import { onBridge, ssh, startSim, type RunningSim } from '../helpers/sim';
import { freePort, openEvents, setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { waitFor } from '../helpers/wait';
import { createEnvironment } from '../helpers/environments';
import { TEST_TEMPLATE } from '../helpers/templates';

const TEMPLATE = TEST_TEMPLATE;
const BASE = 'spyre.test';
const SVC_PORT = 8081;
let sim: RunningSim;
let spyre: RunningSpyre;
let caddy: ChildProcess | undefined;
let caddyDir: string;
let caddyPort: number;
let adminPort: number;
let cookie: string;
let envId: string;
let ctIp: string;
let servicePid = '';
/** `__Host-spyre_svc=…` for web--<hostname>, from the handshake. */
let svcCookie = '';
let tlsPid = '';
const TLS_PORT = 8443;
const hostname = 'svc-web-1';

function api(method: string, pathname: string, body?: unknown) {
	return fetch(`${spyre.url}${pathname}`, {
		method,
		headers: { origin: spyre.url, cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
		body: body === undefined ? undefined : JSON.stringify(body)
	});
}

/** A GET to Caddy's public listener with an arbitrary Host header (no DNS needed for subdomains). */
function viaCaddy(host: string, pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
	return new Promise((resolve, reject) => {
		const req = http.request({ host: '127.0.0.1', port: caddyPort, path: pathname, headers: { host, ...headers } }, (res) => {
			let body = '';
			res.setEncoding('utf8').on('data', (d: string) => (body += d));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
		});
		req.on('error', reject);
		req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
		req.end();
	});
}

async function adminRoutes(): Promise<string> {
	const url = `http://127.0.0.1:${adminPort}/config/apps/http/servers/srv0/routes`;
	// Caddy may close the kept-alive connection after a config change (seen right after a refused load):
	// the GET then fails with "other side closed" before Caddy read it, and is sent again on a new one.
	const res = await fetch(url).catch((err: { cause?: { code?: string } }) => {
		if (err?.cause?.code !== 'UND_ERR_SOCKET') throw err;
		return fetch(url);
	});
	return res.text();
}

const inCt = (cmd: string) => ssh(path.join(spyre.dataDir, 'ssh', 'id_ed25519'), ctIp, sim.simJson.sshPort, cmd);

beforeAll(async () => {
	sim = await startSim();
	caddyPort = await freePort();
	adminPort = await freePort();
	// Spyre starts first: its first apply finds no Caddy and is retried on the next tick (1 s here).
	spyre = await startSpyre({
		mode: 'built',
		simJson: sim.simJson,
		env: { SPYRE_HEALTH_MS: '1000' },
		config: { caddy: { admin_url: `http://127.0.0.1:${adminPort}`, base_domain: BASE } }
	});
	cookie = await setupAdmin(spyre.url, 'admin', 'correct-horse-battery');
	caddyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-proxy-caddy-'));
	fs.writeFileSync(
		path.join(caddyDir, 'Caddyfile'),
		`{
	admin 127.0.0.1:${adminPort}
	auto_https off
}
http://127.0.0.1:${caddyPort} {
	bind 127.0.0.1
	reverse_proxy 127.0.0.1:${spyre.port}
}
`
	);
	caddy = spawn('caddy', ['run', '--config', path.join(caddyDir, 'Caddyfile'), '--adapter', 'caddyfile'], {
		stdio: 'ignore',
		env: { ...process.env, HOME: caddyDir, XDG_DATA_HOME: caddyDir, XDG_CONFIG_HOME: caddyDir }
	});
	await waitFor(
		() => fetch(`http://127.0.0.1:${caddyPort}/healthz`).then((r) => r.status),
		(s) => s === 200,
		15_000
	);
	const dir = path.join(spyre.dataDir, 'configs');
	fs.mkdirSync(dir, { recursive: true });
	fs.writeFileSync(
		path.join(dir, 'svc-web.yaml'),
		`apiVersion: spyre/v1
kind: Environment
metadata: { name: svc-web }
spec:
  platform: { template: ${TEMPLATE}, cores: 1, memory: 512, disk: 4 }
  services:
    - { name: web, port: ${SVC_PORT}, protocol: http }
    - { name: db, port: 5432, protocol: tcp }
`
	);
}, 90_000);

afterAll(async () => {
	if (caddy?.pid && caddy.exitCode === null) {
		const exited = new Promise((r) => caddy!.once('exit', r));
		process.kill(caddy.pid, 'SIGTERM');
		await exited;
	}
	await spyre?.stop();
	await sim?.stop();
	if (caddyDir) fs.rmSync(caddyDir, { recursive: true, force: true });
});

describe('service URLs through Caddy', () => {
	it('provisions, routes the service and shows it on the environment page', async () => {
		const env = await createEnvironment(api, { config: 'svc-web', hostname });
		envId = env.id;
		ctIp = env.ip!;
		expect(onBridge(sim.simJson, ctIp)).toBe(true);
		const run = (await (await api('GET', `/api/environments/${envId}/run`)).json()) as { run: { events: Array<{ kind: string; message: string }> } };
		// A Caddy problem would show as a warning of the run; there must be none.
		expect(run.run.events.filter((e) => e.kind === 'warning')).toEqual([]);
		const routes = await waitFor(adminRoutes, (t) => t.includes(`spyre-svc-${envId}-web`), 15_000);
		// tcp services are health-checked only: HTTP routing cannot carry them.
		expect(routes).not.toContain(`spyre-svc-${envId}-db`);
		const page = await (await api('GET', `/environments/${envId}`)).text();
		expect(page).toContain(`http://web--${hostname}.${BASE}:`);
		expect(page).toContain(`/auth/service?host=web--${hostname}.${BASE}`);
	}, 180_000);

	it('reaches the service with its own credential from the handshake, refuses without it', async () => {
		const started = await inCt(`nohup python3 -m http.server ${SVC_PORT} --bind ${ctIp} >/dev/null 2>&1 </dev/null & echo $!`);
		servicePid = started.stdout.trim();
		expect(servicePid).toMatch(/^\d+$/);
		const host = `web--${hostname}.${BASE}`;
		// A page load without a credential is sent to Spyre's handshake; anything else is refused.
		const browser = await viaCaddy(host, '/x?y=1', { accept: 'text/html', 'sec-fetch-mode': 'navigate' });
		expect(browser.status).toBe(302);
		const start = new URL(browser.headers.location!);
		expect(start.origin).toBe(spyre.url);
		expect(start.pathname).toBe('/auth/service');
		expect(start.searchParams.get('host')).toBe(host);
		expect(start.searchParams.get('to')).toBe('/x?y=1');
		const anon = await viaCaddy(host, '/', { accept: 'application/json' });
		expect(anon.status).toBe(401);
		expect(anon.body).not.toMatch(/Directory listing/);
		// Spyre's own session cookie is no credential on a service host.
		expect((await viaCaddy(host, '/', { cookie })).status).toBe(401);
		expect((await viaCaddy(host, '/', { cookie: `${SERVICE_COOKIE}=not-a-real-credential` })).status).toBe(401);
		// The handshake: Spyre (own origin, signed in) issues a one-time code for this host ...
		const issued = await fetch(`${spyre.url}/auth/service?host=${host}&to=/`, { headers: { cookie, 'sec-fetch-site': 'same-origin' }, redirect: 'manual' });
		expect(issued.status).toBe(303);
		const callback = new URL(issued.headers.get('location')!);
		expect(callback.hostname).toBe(host);
		expect(callback.pathname).toBe('/__spyre/callback');
		// ... which the reserved path on the service host (routed to Spyre, not the CT) swaps for a host-only cookie.
		const cb = await viaCaddy(host, callback.pathname + callback.search);
		expect(cb.status).toBe(200);
		const set = String(cb.headers['set-cookie']);
		expect(set).toMatch(new RegExp(`^${SERVICE_COOKIE}=[A-Za-z0-9_-]{43};`));
		expect(set).toMatch(/HttpOnly/i);
		expect(set).toMatch(/Secure/i);
		expect(set).not.toMatch(/Domain=/i);
		svcCookie = set.split(';')[0];
		// The code is one-time.
		expect((await viaCaddy(host, callback.pathname + callback.search)).status).toBe(400);
		const ok = await waitFor(
			() => viaCaddy(host, '/', { cookie: svcCookie }),
			(r) => r.status === 200,
			20_000
		);
		expect(ok.body).toMatch(/Directory listing/);
		// The credential is bound to its host: on another service host of the same Caddy it is nothing.
		expect((await viaCaddy(`other--${hostname}.${BASE}`, '/', { cookie: svcCookie })).body).not.toMatch(/Directory listing/);
	}, 60_000);

	it('shows the health live', async () => {
		const events = await openEvents(spyre.url, cookie, 0);
		const ev = await events.waitFor(
			(m) => m.type === 'service.health' && (m.data as { environmentId: string; name: string; health: string }).name === 'web' && (m.data as { health: string }).health === 'healthy',
			15_000
		);
		expect((ev.data as { environmentId: string }).environmentId).toBe(envId);
		// Nothing listens on 5432 in the CT: the tcp probe says so.
		const page = await (await api('GET', `/environments/${envId}`)).text();
		expect(page).toMatch(/unhealthy/);
		events.close();
	}, 30_000);

	it("never exposes Caddy's admin API through a public listener", async () => {
		for (const host of [`127.0.0.1:${caddyPort}`, `localhost:${adminPort}`, `web--${hostname}.${BASE}`]) {
			const r = await viaCaddy(host, '/config/', { cookie });
			expect(r.body).not.toContain('"servers"');
			expect(r.body).not.toContain('"apps"');
		}
		const direct = await fetch(`${spyre.url}/config/`, { headers: { cookie }, redirect: 'manual' });
		expect(await direct.text()).not.toContain('"apps"');
		// The admin endpoint itself listens on loopback only, as configured.
		expect(await adminRoutes()).toContain('spyre-svc-');
	});

	it('a refused apply leaves the previous routes in place with a clear error', async () => {
		const admin = `http://127.0.0.1:${adminPort}`;
		const before = await adminRoutes();
		const current = await readServer(admin, '127.0.0.1');
		const err = await writeRoutes(admin, current, [...current.routes, { handle: [{ handler: 'no_such_handler' }] }]).catch((e: Error) => e);
		expect(err).toBeInstanceOf(Error);
		expect((err as Error).message).toMatch(/Caddy refused the new service routes \(HTTP \d+: .*unknown module.*previous configuration stays/);
		expect(await adminRoutes()).toBe(before);
		await expect(readServer('http://10.1.2.3:2019', '127.0.0.1')).rejects.toThrow(/loopback/);
	});

	it("serves nothing of a service on Spyre's own host (the old /svc/ path mode is gone)", async () => {
		const r = await viaCaddy(`127.0.0.1:${caddyPort}`, `/svc/${hostname}/web/`, { cookie });
		expect(r.body).not.toMatch(/Directory listing/);
		expect(await adminRoutes()).not.toContain('/svc/');
	});

	it('an https service with a self-signed certificate is refused unless its config said tls_verify: false', async () => {
		// A dev server's usual certificate: self-signed, for a name that is not the CT's.
		const dir = `/tmp/tls-svc`;
		const cert = await inCt(`mkdir -p ${dir} && cd ${dir} && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=devserver -keyout key.pem -out cert.pem 2>&1`);
		expect(cert.code, cert.stdout).toBe(0);
		const made = await inCt(
			`cd ${dir} || exit 1; nohup python3 -c "import http.server, ssl; s = http.server.HTTPServer(('${ctIp}', ${TLS_PORT}), http.server.SimpleHTTPRequestHandler); ` +
				`c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain('cert.pem', 'key.pem'); s.socket = c.wrap_socket(s.socket, server_side=True); s.serve_forever()" ` +
				`>/dev/null 2>&1 </dev/null & echo $!`
		);
		expect(made.code, made.stderr).toBe(0);
		tlsPid = made.stdout.trim();
		const admin = `http://127.0.0.1:${adminPort}`;
		const mode = { kind: 'subdomain', baseDomain: BASE } as const;
		const auth = { dial: `127.0.0.1:${spyre.port}`, host: `127.0.0.1:${spyre.port}` };
		const target = { environmentId: envId, hostname, port: TLS_PORT, protocol: 'https', ip: ctIp } as const;
		// These two routes are not in Spyre's table, so forward_auth would refuse them: the test is about the
		// upstream's certificate, so their forward_auth step is left out.
		const noAuth = (r: Record<string, unknown>) => {
			const service = (r.handle as Array<{ routes: Array<{ handle: unknown[] }> }>)[0].routes[1];
			service.handle = service.handle.slice(1);
			return r;
		};
		const checked = noAuth(buildRoute({ ...target, name: 'tlscheck', tlsVerify: true }, mode, auth)!);
		const trusting = noAuth(buildRoute({ ...target, name: 'tlsskip', tlsVerify: false }, mode, auth)!);
		const current = await readServer(admin, '127.0.0.1');
		const ours = current.routes.filter((r) => JSON.stringify(r).includes('spyre-svc-')) as Record<string, unknown>[];
		await writeRoutes(admin, current, mergeRoutes(current.routes, [...ours, checked, trusting]));
		const skip = await waitFor(
			() => viaCaddy(`tlsskip--${hostname}.${BASE}`, '/'),
			(r) => r.status === 200,
			20_000
		);
		expect(skip.body).toMatch(/Directory listing/);
		const check = await viaCaddy(`tlscheck--${hostname}.${BASE}`, '/');
		expect(check.status).toBe(502);
		expect(check.body).not.toMatch(/Directory listing/);
	}, 60_000);

	it('removes the route on destroy, retrying when Caddy was down', async () => {
		const host = `web--${hostname}.${BASE}`;
		// The service process we started goes first, by its PID inside the CT.
		if (servicePid) expect((await inCt(`kill ${servicePid}`)).code).toBe(0);
		if (tlsPid) expect((await inCt(`kill ${tlsPid}`)).code).toBe(0);
		const res = await api('DELETE', `/api/environments/${envId}`);
		expect(res.status).toBe(202);
		await waitFor(
			async () => (await api('GET', `/api/environments/${envId}`)).status,
			(s) => s === 404,
			60_000
		);
		await waitFor(adminRoutes, (t) => !t.includes(`spyre-svc-${envId}-`), 15_000);
		const gone = await viaCaddy(host, '/', { cookie: svcCookie });
		expect(gone.body).not.toMatch(/Directory listing/);
	}, 90_000);
});
