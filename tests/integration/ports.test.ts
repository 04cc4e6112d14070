// Ports found for you, against the simulator and the real caddy: a process listening in the CT on 8080
// shows up on GET /api/environments/:id/ports with its name (Spyre's SSH port does not; a loopback-only
// listener is marked and cannot be shared; a port the config declares is not shared twice); Share gives it
// the host p8080--<hostname>.<base_domain> with a Caddy route, which serves the CT's page to the signed-in
// owner through the credential handshake and refuses without a credential; the share survives a Spyre
// restart; Unshare takes the route away and revokes the credential; both are audited.
import path from 'node:path';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_COOKIE } from '../../src/lib/server/auth/session-cookie';
import { command } from '../../src/lib/server/shell';
import type { PortsView } from '../../src/lib/shared/types/ports';
import { startCaddy, type RunningCaddy } from '../helpers/caddy';
import { createEnvironment } from '../helpers/environments';
import { ssh, startSim, type RunningSim } from '../helpers/sim';
import { freePort, setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { waitFor } from '../helpers/wait';
import { TEST_TEMPLATE } from '../helpers/templates';

const TEMPLATE = TEST_TEMPLATE;
const BASE = 'spyre.test';
const hostname = 'ports-1';
const MARK = 'served-from-the-ct-8080';
let sim: RunningSim;
let spyre: RunningSpyre;
let caddy: RunningCaddy;
let cookie: string;
let envId: string;
let ctIp: string;
const pids: string[] = [];
let svcCookie = '';
const host = `p8080--${hostname}.${BASE}`;

function api(method: string, pathname: string, body?: unknown) {
	return fetch(`${spyre.url}${pathname}`, {
		method,
		headers: { origin: spyre.url, cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
		body: body === undefined ? undefined : JSON.stringify(body)
	});
}

const inCt = (cmd: string) => ssh(path.join(spyre.dataDir, 'ssh', 'id_ed25519'), ctIp, sim.simJson.sshPort, cmd);

async function serve(port: number, bind: string, dir: string): Promise<void> {
	// `cd; nohup … &`: with `cd && nohup … &` the backgrounded list would hold ssh's stdout open.
	const r = await inCt(`cd ${dir}; nohup ${command('python3', '-m', 'http.server', String(port), '--bind', bind)} >/dev/null 2>&1 </dev/null & echo $!`);
	expect(r.code, r.stderr).toBe(0);
	pids.push(r.stdout.trim());
}

function audit(action: string): Array<{ outcome: string; detail: string | null }> {
	const db = new Database(spyre.dbPath, { readonly: true });
	try {
		return db.prepare('SELECT outcome, detail FROM audit_log WHERE action = ? ORDER BY id').all(action) as Array<{ outcome: string; detail: string | null }>;
	} finally {
		db.close();
	}
}

async function ports(): Promise<PortsView> {
	const res = await api('GET', `/api/environments/${envId}/ports`);
	expect(res.status).toBe(200);
	return (await res.json()) as PortsView;
}

/** Through Spyre's handshake, as a browser does: a one-time code on Spyre's origin, swapped on the service host. */
async function credential(): Promise<string> {
	const issued = await fetch(`${spyre.url}/auth/service?host=${host}&to=/`, { headers: { cookie, 'sec-fetch-site': 'same-origin' }, redirect: 'manual' });
	expect(issued.status).toBe(303);
	const callback = new URL(issued.headers.get('location')!);
	const cb = await caddy.get(host, callback.pathname + callback.search);
	expect(cb.status).toBe(200);
	const set = String(cb.headers['set-cookie']);
	expect(set).toMatch(new RegExp(`^${SERVICE_COOKIE}=`));
	return set.split(';')[0];
}

beforeAll(async () => {
	sim = await startSim();
	const [caddyPort, adminPort] = [await freePort(), await freePort()];
	spyre = await startSpyre({
		mode: 'built',
		simJson: sim.simJson,
		env: { SPYRE_HEALTH_MS: '1000' },
		config: { caddy: { admin_url: `http://127.0.0.1:${adminPort}`, base_domain: BASE } }
	});
	cookie = await setupAdmin(spyre.url, 'admin', 'correct-horse-battery');
	caddy = await startCaddy({ siteHost: '127.0.0.1', port: caddyPort, adminPort, upstream: `127.0.0.1:${spyre.port}` });
	const dir = path.join(spyre.dataDir, 'configs');
	fs.mkdirSync(dir, { recursive: true });
	fs.writeFileSync(
		path.join(dir, 'ports-web.yaml'),
		`apiVersion: spyre/v1
kind: Environment
metadata: { name: ports-web }
spec:
  platform: { template: ${TEMPLATE}, cores: 1, memory: 512, disk: 4 }
  services:
    - { name: web, port: 8081, protocol: http }
`
	);
	const env = await createEnvironment(api, { config: 'ports-web', hostname }, { timeoutMs: 150_000 });
	envId = env.id;
	ctIp = env.ip!;
}, 240_000);

afterAll(async () => {
	if (ctIp && spyre) for (const pid of pids) await inCt(`kill ${pid}`);
	await caddy?.stop();
	await spyre?.stop();
	await sim?.stop();
});

describe('ports found for you', () => {
	it('lists a process listening on 8080 with its name, marks a loopback-only one, leaves out SSH', async () => {
		const made = await inCt(`mkdir -p /tmp/site && echo ${MARK} > /tmp/site/index.html`);
		expect(made.code, made.stderr).toBe(0);
		await serve(8080, '0.0.0.0', '/tmp/site');
		await serve(5173, '127.0.0.1', '/tmp/site');
		await serve(8081, '0.0.0.0', '/tmp/site');
		// A scan is shared for a few seconds, so the new listeners show up on a later poll, as on the page.
		const view = await waitFor(ports, (v) => [8080, 5173, 8081].every((p) => v.ports.some((x) => x.port === p)), 20_000);
		expect(view.source).toBe('ss');
		expect(view.shareNote).toBeNull();
		const p8080 = view.ports.find((p) => p.port === 8080)!;
		expect(p8080).toMatchObject({ listening: true, loopbackOnly: false, service: null });
		expect(p8080.processes).toContain('python3');
		expect(view.ports.find((p) => p.port === 5173)).toMatchObject({ loopbackOnly: true, addresses: ['127.0.0.1'] });
		expect(view.ports.find((p) => p.port === 8081)?.service).toMatchObject({ name: 'web', shared: false });
		expect(view.ports.some((p) => p.port === sim.simJson.sshPort)).toBe(false);
	}, 60_000);

	it('refuses to share what Caddy cannot reach, a declared service, SSH, a bad port, and a silent port', async () => {
		const cases: Array<[unknown, number, RegExp]> = [
			[5173, 409, /127\.0\.0\.1 only/],
			[8081, 409, /service web/],
			[sim.simJson.sshPort, 422, /SSH/],
			['80; reboot', 422, /1 to 65535/],
			[70000, 422, /1 to 65535/],
			[8999, 409, /Nothing listens on port 8999/]
		];
		for (const [port, status, message] of cases) {
			const res = await api('POST', `/api/environments/${envId}/ports`, { port });
			expect(res.status, String(port)).toBe(status);
			expect(((await res.json()) as { error: string }).error).toMatch(message);
		}
	}, 60_000);

	it("Share routes p8080 through Caddy: the owner gets the CT's page, nobody without a credential does", async () => {
		const res = await api('POST', `/api/environments/${envId}/ports`, { port: 8080 });
		expect(res.status).toBe(201);
		const body = (await res.json()) as { service: { name: string; url: string; shared: boolean }; warning: string | null };
		expect(body.warning).toBeNull();
		expect(body.service).toMatchObject({ name: 'p8080', shared: true });
		expect(body.service.url).toBe(`http://${host}:${spyre.port}/`);
		expect(await caddy.routes()).toContain(`spyre-svc-${envId}-p8080`);
		// Sharing twice is refused, naming the share.
		expect((await api('POST', `/api/environments/${envId}/ports`, { port: 8080 })).status).toBe(409);
		const anon = await caddy.get(host, '/', { accept: 'application/json' });
		expect(anon.status).toBe(401);
		expect(anon.body).not.toContain(MARK);
		expect((await caddy.get(host, '/', { cookie })).status).toBe(401);
		svcCookie = await credential();
		const ok = await waitFor(
			() => caddy.get(host, '/', { cookie: svcCookie }),
			(r) => r.status === 200,
			20_000
		);
		expect(ok.body).toContain(MARK);
		expect((await ports()).ports.find((p) => p.port === 8080)?.service).toMatchObject({ name: 'p8080', shared: true });
		expect(await (await api('GET', `/environments/${envId}`)).text()).toContain(host);
		expect(
			audit('service.share')
				.filter((a) => a.outcome === 'success')
				.map((a) => a.detail)
		).toEqual([`port 8080 shared as p8080 at http://${host}:${spyre.port}/`]);
	}, 60_000);

	it('the share survives a Spyre restart', async () => {
		await spyre.stop({ keepData: true });
		spyre = await startSpyre({ mode: 'built', reuse: spyre, env: { SPYRE_HEALTH_MS: '1000' } });
		expect((await ports()).ports.find((p) => p.port === 8080)?.service).toMatchObject({ name: 'p8080', shared: true });
		const ok = await waitFor(
			() => caddy.get(host, '/', { cookie: svcCookie }),
			(r) => r.status === 200,
			20_000
		);
		expect(ok.body).toContain(MARK);
		expect(await caddy.routes()).toContain(`spyre-svc-${envId}-p8080`);
	}, 90_000);

	it('Unshare removes the route and revokes the credential; a declared service is not unshared', async () => {
		expect((await api('DELETE', `/api/environments/${envId}/ports/8081`)).status).toBe(404);
		const res = await api('DELETE', `/api/environments/${envId}/ports/8080`);
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ name: 'p8080', warning: null });
		await waitFor(
			() => caddy.routes(),
			(t) => !t.includes(`spyre-svc-${envId}-p8080`),
			15_000
		);
		expect(await caddy.routes()).toContain(`spyre-svc-${envId}-web`);
		const gone = await caddy.get(host, '/', { cookie: svcCookie });
		expect(gone.body).not.toContain(MARK);
		const db = new Database(spyre.dbPath, { readonly: true });
		try {
			expect(db.prepare(`SELECT count(*) AS n FROM service_credentials WHERE service = 'p8080'`).get()).toEqual({ n: 0 });
		} finally {
			db.close();
		}
		const after = (await ports()).ports.find((p) => p.port === 8080)!;
		expect(after.service).toBeNull();
		expect(audit('service.unshare').map((a) => [a.outcome, a.detail])).toContainEqual(['success', 'port 8080 (p8080) unshared']);
		expect((await api('DELETE', `/api/environments/${envId}/ports/8080`)).status).toBe(404);
	}, 60_000);
});
