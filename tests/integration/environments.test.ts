// The environment lifecycle against the real Proxmox simulator: real API, real tasks, real sshd in each
// CT, a real SQLite file. Spyre's modules run in this process with a temp environment.yaml.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { control, onBridge, pveRequest, startSim, waitTask, type RunningSim } from '../helpers/sim';
import { makeDataDir, type TestDataDir } from '../helpers/spyre';
import { waitFor } from '../helpers/wait';
import { TEST_TEMPLATE } from '../helpers/templates';

let sim: RunningSim;
let data: TestDataDir;
type Lifecycle = typeof import('../../src/lib/server/environments');
import { useEnvironmentHostKeys } from '../helpers/in-process';
type Inventory = typeof import('../../src/lib/server/environments/inventory');
let lifecycle: Lifecycle;
let inventory: Inventory;
let repo: typeof import('../../src/lib/server/environments/repo');
let runs: typeof import('../../src/lib/server/jobs');
let poller: typeof import('../../src/lib/server/environments/status-poller');
let db: import('better-sqlite3').Database;
const actor = { userId: null, username: 'tester', ip: '127.0.0.1' };
const TEMPLATE = TEST_TEMPLATE;

function fieldsOf(err: unknown): Record<string, string> {
	return (err as { fields?: Record<string, string> }).fields ?? {};
}

beforeAll(async () => {
	sim = await startSim({ nodes: ['pve', 'pve2'] });
	data = await makeDataDir({ simJson: sim.simJson, config: { proxmox: { ip_timeout_ms: 4000 } } });
	process.env.SPYRE_CONFIG = data.configPath;
	await useEnvironmentHostKeys();
	lifecycle = await import('../../src/lib/server/environments');
	inventory = await import('../../src/lib/server/environments/inventory');
	repo = await import('../../src/lib/server/environments/repo');
	runs = await import('../../src/lib/server/jobs');
	poller = await import('../../src/lib/server/environments/status-poller');
	db = (await import('../../src/lib/server/db')).getDb();
	lifecycle.timings.shutdownTimeoutS = 3;
});

afterAll(async () => {
	await lifecycle?.settleAll();
	const ssh = await import('../../src/lib/server/ssh');
	await ssh.closeSshPool();
	(await import('../../src/lib/server/db')).closeDb();
	await sim?.stop();
	data?.remove();
});

describe('environment lifecycle against the simulator', () => {
	let envId = '';

	it('creates an environment: task log recorded, CT running, IP found, SSH verified, host key pinned', async () => {
		const row = await lifecycle.createEnvironment({ hostname: 'life-1', template: TEMPLATE, cores: 1, memory: 512, disk: 4 }, actor);
		envId = row.id;
		expect(row.status).toBe('creating');
		await lifecycle.settled(envId);
		const done = repo.getEnvironment(envId)!;
		expect(done.error).toBeNull();
		expect(done.status).toBe('running');
		expect(done.vmid).toBeGreaterThanOrEqual(100);
		expect(onBridge(sim.simJson, String(done.ip))).toBe(true);
		expect(done.host_key_fingerprint).toMatch(/^SHA256:/);

		const run = runs.latestRun(envId)!;
		expect(run.kind).toBe('create');
		expect(run.status).toBe('succeeded');
		const messages = run.events.map((e) => e.message);
		expect(messages).toContain('TASK OK');
		expect(run.events.filter((e) => e.kind === 'step').map((e) => e.step)).toEqual(['allocate', 'create', 'start', 'network', 'ssh', 'done']);
		expect(run.events.filter((e) => e.kind === 'step').map((e) => [e.index, e.total])).toEqual([
			[1, 6],
			[2, 6],
			[3, 6],
			[4, 6],
			[5, 6],
			[6, 6]
		]);
		expect(run.percent).toBe(100);

		const cfg = await pveRequest<{ hostname: string; features: string; unprivileged: number }>(sim.simJson, 'GET', `/nodes/pve/lxc/${done.vmid}/config`);
		expect(cfg.body!.data).toMatchObject({ hostname: 'life-1', features: 'nesting=1', unprivileged: 1 });

		const audit = db.prepare("SELECT outcome FROM audit_log WHERE action = 'environment.create'").all() as Array<{ outcome: string }>;
		expect(audit.map((a) => a.outcome)).toContain('success');
	});

	it('lists it merged with live state from one /cluster/resources call, with VMs and nodes', async () => {
		const { getProxmox } = await import('../../src/lib/server/proxmox');
		await inventory.getNodes(true);
		getProxmox().resetStats();
		const view = await inventory.loadInventory();
		expect(getProxmox().stats.byEndpoint['GET /cluster/resources']).toBe(1);
		expect(getProxmox().stats.total).toBe(1);
		const env = view.environments.find((e) => e.id === envId)!;
		expect(env).toMatchObject({ status: 'running', liveStatus: 'running', hostname: 'life-1', node: 'pve' });
		expect(view.vms.length).toBeGreaterThan(0);
		expect(view.nodes.map((n) => n.node)).toEqual(['pve', 'pve2']);
	});

	it('refuses bad input with per-field messages and records nothing on Proxmox', async () => {
		const before = (await pveRequest<unknown[]>(sim.simJson, 'GET', '/cluster/resources?type=vm')).body!.data.length;
		for (const hostname of ['$(reboot)', 'a;b', 'x/../y', 'a?b=1', 'UPPER', '']) {
			const err = await lifecycle.createEnvironment({ hostname, template: TEMPLATE, cores: 1, memory: 512, disk: 4 }, actor).catch((e) => e);
			expect(fieldsOf(err).hostname, hostname).toBeTruthy();
		}
		let err = await lifecycle.createEnvironment({ hostname: 'life-1', template: TEMPLATE, cores: 1, memory: 512, disk: 4 }, actor).catch((e) => e);
		expect(fieldsOf(err).hostname).toMatch(/already exists/);
		err = await lifecycle.createEnvironment({ hostname: 'ok-name', template: 'local:vztmpl/nope.tar.zst', cores: 1, memory: 512, disk: 4 }, actor).catch((e) => e);
		expect(fieldsOf(err).template).toMatch(/not available/);
		err = await lifecycle.createEnvironment({ hostname: 'ok-name', template: TEMPLATE, cores: 999, memory: 10, disk: 0 }, actor).catch((e) => e);
		expect(Object.keys(fieldsOf(err)).sort()).toEqual(['cores', 'disk', 'memory']);
		const after = (await pveRequest<unknown[]>(sim.simJson, 'GET', '/cluster/resources?type=vm')).body!.data.length;
		expect(after).toBe(before);
		expect(repo.findByHostname('ok-name')).toBeUndefined();
	});

	it('stops (graceful shutdown) and starts again, re-verifying SSH', async () => {
		lifecycle.stopEnvironment(envId, actor);
		expect(() => lifecycle.startEnvironment(envId, actor)).toThrow(/busy/);
		await lifecycle.settled(envId);
		expect(repo.getEnvironment(envId)!.status).toBe('stopped');
		const st = await pveRequest<{ status: string }>(sim.simJson, 'GET', `/nodes/pve/lxc/${repo.getEnvironment(envId)!.vmid}/status/current`);
		expect(st.body!.data.status).toBe('stopped');

		lifecycle.startEnvironment(envId, actor);
		await lifecycle.settled(envId);
		const row = repo.getEnvironment(envId)!;
		expect(row.status).toBe('running');
		expect(row.error).toBeNull();
	});

	it('falls back to a hard stop when the graceful shutdown times out', async () => {
		const vmid = repo.getEnvironment(envId)!.vmid!;
		await control(sim.simJson, { ignoreShutdown: { vmid, ignore: true } });
		lifecycle.stopEnvironment(envId, actor);
		await lifecycle.settled(envId);
		await control(sim.simJson, { ignoreShutdown: { vmid, ignore: false } });
		expect(repo.getEnvironment(envId)!.status).toBe('stopped');
		const msgs = runs
			.latestRun(envId)!
			.events.map((e) => e.message)
			.join('\n');
		expect(msgs).toMatch(/Graceful shutdown failed/);
		expect(msgs).toMatch(/Stopping CT/);
	});

	it('shows a locked CT as a clear error and keeps the true state', async () => {
		const vmid = repo.getEnvironment(envId)!.vmid!;
		await control(sim.simJson, { lock: { vmid, lock: 'backup' } });
		lifecycle.startEnvironment(envId, actor);
		await lifecycle.settled(envId);
		await control(sim.simJson, { unlock: { vmid } });
		const row = repo.getEnvironment(envId)!;
		expect(row.error).toMatch(new RegExp(`CT ${vmid} is locked \\(backup\\)`));
		expect(row.status).toBe('stopped');
		expect(runs.latestRun(envId)!.status).toBe('failed');
	});

	it('records a failing create task with the Proxmox message; the CT is gone, the row stays as an error', async () => {
		await control(sim.simJson, { failNext: { type: 'vzcreate', message: 'storage local-lvm is full' } });
		const row = await lifecycle.createEnvironment({ hostname: 'doomed', template: TEMPLATE, cores: 1, memory: 512, disk: 4 }, actor);
		await lifecycle.settled(row.id);
		const failed = repo.getEnvironment(row.id)!;
		expect(failed.status).toBe('error');
		expect(failed.error).toMatch(/storage local-lvm is full/);
		expect(failed.error_step).toBe('create');
		// Proxmox removed the CT of the failed create, so Spyre forgets the VMID too.
		const created = runs.latestRun(row.id)!.events.find((e) => e.step === 'create' && e.kind === 'step')!;
		const vmid = Number(/CT (\d+)/.exec(created.message)![1]);
		expect(failed.vmid).toBeNull();
		const res = await pveRequest(sim.simJson, 'GET', '/cluster/resources?type=vm');
		expect((res.body!.data as Array<{ vmid: number }>).some((r) => r.vmid === vmid)).toBe(false);
		const view = await inventory.loadInventory();
		expect(view.environments.find((e) => e.id === row.id)!.status).toBe('error');
		// Removable: destroy of a row whose CT is gone just removes the record.
		lifecycle.destroyEnvironment(row.id, actor);
		await lifecycle.settled(row.id);
		expect(repo.getEnvironment(row.id)).toBeUndefined();
	});

	it('gives up on an IP that never appears, keeps the CT visible, and destroy cleans it up', async () => {
		await control(sim.simJson, { interfacesEmptyFor: { seconds: 30 } });
		const row = await lifecycle.createEnvironment({ hostname: 'no-ip', template: TEMPLATE, cores: 1, memory: 512, disk: 4 }, actor);
		await lifecycle.settled(row.id);
		await control(sim.simJson, { reset: true });
		const failed = repo.getEnvironment(row.id)!;
		expect(failed.status).toBe('error');
		expect(failed.error_step).toBe('network');
		expect(failed.error).toMatch(/no IPv4 address/);
		expect(failed.vmid).not.toBeNull();
		lifecycle.destroyEnvironment(row.id, actor);
		await lifecycle.settled(row.id);
		expect(repo.getEnvironment(row.id)).toBeUndefined();
		const res = await pveRequest(sim.simJson, 'GET', '/cluster/resources?type=vm');
		expect((res.body!.data as Array<{ vmid: number }>).some((r) => r.vmid === failed.vmid)).toBe(false);
	});

	it('cancels a create while it waits for an address: the run ends cancelled, the row says where, destroy cleans up', async () => {
		await control(sim.simJson, { interfacesEmptyFor: { seconds: 30 } });
		const row = await lifecycle.createEnvironment({ hostname: 'cancel-me', template: TEMPLATE, cores: 1, memory: 256, disk: 2 }, actor);
		await waitFor(
			() => repo.getEnvironment(row.id)!.status,
			(s) => s === 'waiting_network',
			15_000
		);
		expect(runs.cancel(row.id, 'Cancelled by tester.')).toBe(true);
		await lifecycle.settled(row.id);
		await control(sim.simJson, { reset: true });
		expect(runs.latestRun(row.id)).toMatchObject({ kind: 'create', status: 'cancelled', error: 'Cancelled by tester.' });
		const cancelled = repo.getEnvironment(row.id)!;
		expect(cancelled).toMatchObject({ status: 'error', error_step: 'network', error: 'Cancelled by tester.' });
		expect(cancelled.vmid).not.toBeNull();
		lifecycle.destroyEnvironment(row.id, actor);
		await lifecycle.settled(row.id);
		expect(repo.getEnvironment(row.id)).toBeUndefined();
	});

	it('creates on a second node and refuses an offline node', async () => {
		const row = await lifecycle.createEnvironment({ hostname: 'on-pve2', template: TEMPLATE, cores: 1, memory: 256, disk: 2, node: 'pve2' }, actor);
		await lifecycle.settled(row.id);
		expect(repo.getEnvironment(row.id)).toMatchObject({ status: 'running', node: 'pve2' });
		await control(sim.simJson, { nodeOffline: { node: 'pve2', offline: true } });
		await inventory.getNodes(true);
		const err = await lifecycle.createEnvironment({ hostname: 'x2', template: TEMPLATE, cores: 1, memory: 256, disk: 2, node: 'pve2' }, actor).catch((e) => e);
		expect(String(err.message)).toMatch(/offline|595|unreachable/i);
		const view = await inventory.loadInventory();
		expect(view.nodes.find((n) => n.node === 'pve2')!.status).toBe('offline');
		await control(sim.simJson, { nodeOffline: { node: 'pve2', offline: false } });
		await inventory.getNodes(true);
		lifecycle.destroyEnvironment(row.id, actor);
		await lifecycle.settled(row.id);
		expect(repo.getEnvironment(row.id)).toBeUndefined();
	});

	it("shows unmanaged CTs, adopts one, and marks a CT destroyed behind Spyre's back as missing", async () => {
		const vmid = Number((await pveRequest<string>(sim.simJson, 'GET', '/cluster/nextid')).body!.data);
		const created = await pveRequest<string>(sim.simJson, 'POST', '/nodes/pve/lxc', {
			form: { vmid: String(vmid), ostemplate: TEMPLATE, hostname: 'outsider', memory: '256', rootfs: 'local-lvm:2' }
		});
		await waitTask(sim.simJson, created.body!.data);
		let view = await inventory.loadInventory();
		expect(view.unmanaged.map((g) => g.vmid)).toContain(vmid);

		const adopted = await lifecycle.adoptContainer(vmid, actor);
		expect(adopted).toMatchObject({ origin: 'adopted', hostname: 'outsider', status: 'stopped' });
		view = await inventory.loadInventory();
		expect(view.unmanaged.map((g) => g.vmid)).not.toContain(vmid);
		await expect(lifecycle.adoptContainer(vmid, actor)).rejects.toThrow(/already managed/);

		const del = await pveRequest<string>(sim.simJson, 'DELETE', `/nodes/pve/lxc/${vmid}?purge=1`);
		await waitTask(sim.simJson, del.body!.data);
		await poller.pollOnce();
		expect(repo.getEnvironment(adopted.id)!.status).toBe('missing');
		view = await inventory.loadInventory();
		expect(view.environments.find((e) => e.id === adopted.id)!.status).toBe('missing');
		lifecycle.destroyEnvironment(adopted.id, actor);
		await lifecycle.settled(adopted.id);
		expect(repo.getEnvironment(adopted.id)).toBeUndefined();
	});

	it('notices a CT stopped outside Spyre on the next status poll', async () => {
		const vmid = repo.getEnvironment(envId)!.vmid!;
		lifecycle.startEnvironment(envId, actor);
		await lifecycle.settled(envId);
		const stop = await pveRequest<string>(sim.simJson, 'POST', `/nodes/pve/lxc/${vmid}/status/stop`);
		await waitTask(sim.simJson, stop.body!.data);
		await poller.pollOnce();
		expect(repo.getEnvironment(envId)!.status).toBe('stopped');
	});

	it('reconciles environments left mid-flight by a crash instead of leaving them spinning', async () => {
		const vmid = repo.getEnvironment(envId)!.vmid!;
		// A crash while starting: the CT is actually running on Proxmox.
		const start = await pveRequest<string>(sim.simJson, 'POST', `/nodes/pve/lxc/${vmid}/status/start`);
		await waitTask(sim.simJson, start.body!.data);
		repo.updateEnvironment(envId, { status: 'starting' });
		db.prepare("INSERT INTO provision_runs (environment_id, kind, status, started_at) VALUES (?, 'start', 'running', ?)").run(envId, Date.now());
		// A crash while creating, before Proxmox had the CT.
		const ghost = repo.insertEnvironment({ id: repo.newEnvironmentId(), hostname: 'ghost', node: 'pve', vmid: 999_990, status: 'creating' });
		// A crash while destroying, after Proxmox removed the CT.
		const gone = repo.insertEnvironment({ id: repo.newEnvironmentId(), hostname: 'gone', node: 'pve', vmid: 999_991, status: 'destroying' });
		// It still had an SSH connection open (here: to the running CT's sshd, under its id). A destroy
		// finished at start-up must end it as a normal destroy does (one finishDestroy step).
		const { getSshPool } = await import('../../src/lib/server/ssh');
		await getSshPool().exec({ envId: gone.id, host: repo.getEnvironment(envId)!.ip! }, 'true');
		expect(
			getSshPool()
				.stats()
				.connections.some((c) => c.envId === gone.id)
		).toBe(true);

		await lifecycle.reconcileAfterRestart();
		await lifecycle.settleAll();
		expect(repo.getEnvironment(envId)!.status).toBe('running');
		expect(repo.getEnvironment(ghost.id)).toMatchObject({ status: 'error' });
		expect(repo.getEnvironment(ghost.id)!.error).toMatch(/restarted/);
		expect(repo.getEnvironment(gone.id)).toBeUndefined();
		expect(
			getSshPool()
				.stats()
				.connections.some((c) => c.envId === gone.id)
		).toBe(false);
		const stale = db.prepare("SELECT COUNT(*) AS n FROM provision_runs WHERE status = 'running'").get() as { n: number };
		expect(stale.n).toBe(0);
		lifecycle.destroyEnvironment(ghost.id, actor);
		await lifecycle.settled(ghost.id);
	});

	it("reports Proxmox down and a rejected token as clear messages, keeping Spyre's records", async () => {
		const { forgetSingleton } = await import('../../src/lib/server/singleton');
		const { resetConfigForTests } = await import('../../src/lib/server/env-config');
		process.env.SPYRE_CONFIG = await data.writeConfig({ file: path.join(data.dataDir, 'bad-token.yaml'), config: { proxmox: { token_secret: 'wrong-secret' } } });
		resetConfigForTests();
		forgetSingleton('proxmox');
		let view = await inventory.loadInventory();
		expect(view.proxmoxError).toMatch(/token/i);
		expect(view.proxmoxError).not.toContain('wrong-secret');
		expect(view.environments.find((e) => e.id === envId)!.status).toBe('unknown');

		process.env.SPYRE_CONFIG = data.configPath;
		resetConfigForTests();
		forgetSingleton('proxmox');
		const state = sim.stateDir;
		await sim.stop({ keep: true });
		view = await inventory.loadInventory();
		expect(view.proxmoxError).toMatch(/Cannot reach Proxmox|ECONNREFUSED|unreachable/i);
		expect(view.environments.map((e) => e.id)).toContain(envId);
		sim = await startSim({ nodes: ['pve', 'pve2'], stateDir: state });
		// Same port is not guaranteed after a restart: re-point Spyre at the new simulator.
		await data.writeConfig({ simJson: sim.simJson });
		resetConfigForTests();
		forgetSingleton('proxmox');
		await waitFor(
			() => inventory.loadInventory(),
			(v) => v.proxmoxError === null
		);
	});

	it('destroys a running environment: stops it first, removes CT and record', async () => {
		const row = repo.getEnvironment(envId)!;
		lifecycle.destroyEnvironment(envId, actor);
		await lifecycle.settled(envId);
		expect(repo.getEnvironment(envId)).toBeUndefined();
		const res = await pveRequest(sim.simJson, 'GET', '/cluster/resources?type=vm');
		expect((res.body!.data as Array<{ vmid: number }>).some((r) => r.vmid === row.vmid)).toBe(false);
		const audit = db.prepare("SELECT outcome FROM audit_log WHERE action = 'environment.destroy' AND target LIKE 'life-1%'").all() as Array<{ outcome: string }>;
		expect(audit.map((a) => a.outcome)).toEqual(['success']);
	});

	it('two creates at once get distinct VMIDs (both read /cluster/nextid before either CT exists)', async () => {
		const [a, b] = await Promise.all(['twin-a', 'twin-b'].map((hostname) => lifecycle.createEnvironment({ hostname, template: TEMPLATE, cores: 1, memory: 512, disk: 4 }, actor)));
		await Promise.all([lifecycle.settled(a.id), lifecycle.settled(b.id)]);
		const rows = [repo.getEnvironment(a.id)!, repo.getEnvironment(b.id)!];
		expect(rows.map((r) => [r.status, r.error])).toEqual([
			['running', null],
			['running', null]
		]);
		expect(rows[0].vmid).not.toBe(rows[1].vmid);
		for (const r of rows) {
			lifecycle.destroyEnvironment(r.id, actor);
			await lifecycle.settled(r.id);
		}
	});
});
