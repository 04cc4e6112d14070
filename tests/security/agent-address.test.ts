// An environment may not choose its own address (issue 16, "Addresses"). On Proxmox `/interfaces` is
// answered from inside the CT, so its root can report any address. With the simulator's reportAddress fault,
// CT A reports (1) the Spyre host's loopback, (2) the address of another live environment B and (3) the
// address of a CT outside Spyre whose sshd answers with its own host key. Each time: A's start ends with a
// clear error on the environment and in the audit log, A's stored address stays the verified one, Caddy's
// route still dials it, the pinned host key is unchanged and the health probe keeps probing it (A's service
// stays healthy; B and the outsider serve nothing on that port). Then, with the fault off, A starts cleanly.
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { control, onBridge, pveRequest, ssh, startSim, waitTask, type RunningSim } from '../helpers/sim';
import { freePort, setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { waitFor } from '../helpers/wait';
import { startEnvironment, waitForEnvironment } from '../helpers/environments';
import { TEST_TEMPLATE } from '../helpers/templates';

const TEMPLATE = TEST_TEMPLATE;
const SVC_PORT = 8081;
let sim: RunningSim;
let spyre: RunningSpyre;
let caddy: ChildProcess | undefined;
let caddyDir = '';
let adminPort = 0;
let cookie = '';
let db: Database.Database;

interface EnvView {
	id: string;
	status: string;
	ip: string | null;
	vmid: number | null;
	error: string | null;
}
const a = { id: '', ip: '', vmid: 0, fingerprint: '' };
const b = { id: '', ip: '' };
let outsiderIp = '';

function api(method: string, pathname: string, body?: unknown) {
	return fetch(`${spyre.url}${pathname}`, {
		method,
		headers: { origin: spyre.url, cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
		body: body === undefined ? undefined : JSON.stringify(body)
	});
}

async function envView(id: string): Promise<EnvView> {
	return (await (await api('GET', `/api/environments/${id}`)).json()) as EnvView;
}

/** Every upstream Caddy's route for A's web service dials. */
async function routeDials(): Promise<string[]> {
	const routes = (await (await fetch(`http://127.0.0.1:${adminPort}/config/apps/http/servers/srv0/routes`)).json()) as unknown[];
	const ours = routes.filter((r) => (r as { '@id'?: string })['@id'] === `spyre-svc-${a.id}-web`);
	return [...JSON.stringify(ours).matchAll(/"dial":"([^"]+)"/g)].map((m) => m[1]).filter((d) => !d.startsWith('127.0.0.1:'));
}

/** The newest start run of A as the database recorded it, once it has ended. */
function lastStartAudit(after: number): { outcome: string; detail: string | null } | undefined {
	return db.prepare("SELECT outcome, detail FROM audit_log WHERE action = 'environment.start' AND target LIKE ? AND ts > ? ORDER BY id DESC LIMIT 1").get(`%${a.id}%`, after) as
		{ outcome: string; detail: string | null } | undefined;
}

function serviceHealth(): { health: string; last_checked_at: number | null } {
	return db.prepare("SELECT health, last_checked_at FROM services WHERE environment_id = ? AND name = 'web'").get(a.id) as { health: string; last_checked_at: number | null };
}

beforeAll(async () => {
	sim = await startSim();
	adminPort = await freePort();
	const caddyPort = await freePort();
	spyre = await startSpyre({
		mode: 'built',
		simJson: sim.simJson,
		env: { SPYRE_HEALTH_MS: '1000' },
		config: { proxmox: { ip_timeout_ms: 4000 }, caddy: { admin_url: `http://127.0.0.1:${adminPort}`, base_domain: 'spyre.test' } }
	});
	cookie = await setupAdmin(spyre.url, 'admin', 'correct-horse-battery');
	db = new Database(spyre.dbPath, { readonly: true, fileMustExist: true });
	caddyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-agent-address-'));
	fs.writeFileSync(
		path.join(caddyDir, 'Caddyfile'),
		`{\n\tadmin 127.0.0.1:${adminPort}\n\tauto_https off\n}\nhttp://127.0.0.1:${caddyPort} {\n\tbind 127.0.0.1\n\treverse_proxy 127.0.0.1:${spyre.port}\n}\n`
	);
	caddy = spawn('caddy', ['run', '--config', path.join(caddyDir, 'Caddyfile'), '--adapter', 'caddyfile'], {
		stdio: 'ignore',
		env: { ...process.env, HOME: caddyDir, XDG_DATA_HOME: caddyDir, XDG_CONFIG_HOME: caddyDir }
	});
	await waitFor(
		() =>
			fetch(`http://127.0.0.1:${caddyPort}/healthz`)
				.then((r) => r.status)
				.catch(() => 0),
		(s) => s === 200,
		15_000
	);
	const configs = path.join(spyre.dataDir, 'configs');
	fs.mkdirSync(configs, { recursive: true });
	fs.writeFileSync(
		path.join(configs, 'spoof-web.yaml'),
		`apiVersion: spyre/v1\nkind: Environment\nmetadata: { name: spoof-web }\nspec:\n  platform: { template: ${TEMPLATE}, cores: 1, memory: 512, disk: 4 }\n  services:\n    - { name: web, port: ${SVC_PORT}, protocol: http }\n`
	);
}, 120_000);

afterAll(async () => {
	db?.close();
	if (caddy?.pid && caddy.exitCode === null) {
		const exited = new Promise((r) => caddy!.once('exit', r));
		process.kill(caddy.pid, 'SIGTERM');
		await exited;
	}
	await spyre?.stop();
	await sim?.stop();
	if (caddyDir) fs.rmSync(caddyDir, { recursive: true, force: true });
});

describe('an environment cannot choose its own address', () => {
	it('sets up A (a service, routed and healthy), B (another environment) and an outsider CT', async () => {
		a.id = await startEnvironment(api, { config: 'spoof-web', hostname: 'spoof-a' });
		b.id = await startEnvironment(api, { hostname: 'spoof-b', template: TEMPLATE, cores: 1, memory: 256, disk: 2 });
		const envA = await waitForEnvironment<EnvView>(api, a.id);
		const envB = await waitForEnvironment<EnvView>(api, b.id);
		expect([envA.error, envB.error]).toEqual([null, null]);
		a.ip = envA.ip!;
		a.vmid = envA.vmid!;
		b.ip = envB.ip!;
		expect(onBridge(sim.simJson, a.ip) && onBridge(sim.simJson, b.ip)).toBe(true);
		a.fingerprint = (db.prepare('SELECT host_key_fingerprint AS f FROM environments WHERE id = ?').get(a.id) as { f: string }).f;
		expect(a.fingerprint).toMatch(/^SHA256:/);

		// A's real service, bound to its real address only.
		const key = path.join(spyre.dataDir, 'ssh', 'id_ed25519');
		const started = await ssh(key, a.ip, sim.simJson.sshPort, `nohup python3 -m http.server ${SVC_PORT} --bind ${a.ip} >/dev/null 2>&1 </dev/null & echo $!`);
		expect(started.stdout.trim()).toMatch(/^\d+$/);
		await waitFor(routeDials, (d) => d.length > 0, 20_000);
		expect(await routeDials()).toEqual([`${a.ip}:${SVC_PORT}`]);
		await waitFor(
			async () => serviceHealth().health,
			(h) => h === 'healthy',
			20_000
		);

		// A CT Spyre does not manage, with its own sshd and host key, on the same bridge.
		const vmid = Number((await pveRequest<string>(sim.simJson, 'GET', '/cluster/nextid')).body!.data);
		const task = await pveRequest<string>(sim.simJson, 'POST', '/nodes/pve/lxc', {
			form: { vmid: String(vmid), ostemplate: TEMPLATE, hostname: 'outsider', memory: '256', rootfs: 'local-lvm:2', net0: 'name=eth0,bridge=vmbr0,ip=dhcp', start: '1' }
		});
		await waitTask(sim.simJson, task.body!.data);
		outsiderIp = await waitFor(
			async () => {
				const r = await pveRequest<Array<{ name: string; inet?: string }>>(sim.simJson, 'GET', `/nodes/pve/lxc/${vmid}/interfaces`);
				return r.body?.data?.find((i) => i.name === 'eth0')?.inet?.split('/')[0] ?? '';
			},
			(ip) => ip !== '',
			30_000
		);
		expect(onBridge(sim.simJson, outsiderIp)).toBe(true);
	}, 300_000);

	it.each([
		['the Spyre host (loopback)', () => '127.0.0.1', /127\.0\.0\.1 is a loopback address/],
		["another environment's address", () => b.ip, /is the address of environment spoof-b/],
		['a CT outside Spyre whose sshd answers', () => outsiderIp, /the SSH host key there \(SHA256:[^)]+\) is not this environment's/]
	])(
		'reports %s: refused, nothing follows it, and the owner sees why',
		async (_what, spoof, why) => {
			const address = spoof();
			const before = Date.now();
			await control(sim.simJson, { reportAddress: { vmid: a.vmid, address } });
			try {
				expect((await api('POST', `/api/environments/${a.id}/start`)).status).toBe(202);
				const audit = await waitFor(
					() => lastStartAudit(before),
					(r) => r !== undefined,
					60_000
				);
				expect(audit!.outcome).toBe('failure');
				expect(audit!.detail).toMatch(why);
				const env = await envView(a.id);
				expect(env.error).toMatch(why);
				// The environment page shows the owner the same reason.
				expect(await (await api('GET', `/environments/${a.id}`)).text()).toMatch(why);
				expect(env.ip).toBe(a.ip);
				expect(db.prepare('SELECT ip, host_key_fingerprint AS f FROM environments WHERE id = ?').get(a.id)).toEqual({ ip: a.ip, f: a.fingerprint });
				expect(await routeDials()).toEqual([`${a.ip}:${SVC_PORT}`]);
				// Probes after the refusal still reach A's real service: had they followed the reported address
				// (where nothing serves this port), the service would turn unhealthy.
				const after = Date.now();
				const probed = await waitFor(
					async () => serviceHealth(),
					(h) => (h.last_checked_at ?? 0) > after + 1000,
					20_000
				);
				expect(probed.health).toBe('healthy');
			} finally {
				await control(sim.simJson, { reportAddress: { vmid: a.vmid, address: null } });
			}
		},
		120_000
	);

	it('with the fault off, a start verifies A at its real address again', async () => {
		const before = Date.now();
		expect((await api('POST', `/api/environments/${a.id}/start`)).status).toBe(202);
		const audit = await waitFor(
			() => lastStartAudit(before),
			(r) => r !== undefined,
			60_000
		);
		expect(audit!.outcome).toBe('success');
		const env = await envView(a.id);
		expect([env.status, env.ip, env.error]).toEqual(['running', a.ip, null]);
	}, 90_000);
});
