// The SSH gateway against a simulator CT (real Proxmox API, real sshd in the CT): a stopped environment is
// started by connecting (the client hears "starting…" on stderr, then its command runs), and a session
// lands as the first user of the config the environment was provisioned from (shell, exec and sftp).
// Spyre's modules run in this process with a temp environment.yaml; the client is the real OpenSSH one.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type RunningSim } from '../helpers/sim';
import { makeDataDir, type TestDataDir } from '../helpers/spyre';
import { useEnvironmentHostKeys } from '../helpers/in-process';
import { clientOptions, spawnClient, ssh, type Gateway } from '../helpers/openssh';
import { TEST_TEMPLATE } from '../helpers/templates';

let sim: RunningSim;
let data: TestDataDir;
let gw: Gateway;
let gateway: typeof import('../../src/lib/server/gateway');
let lifecycle: typeof import('../../src/lib/server/environments');
let repo: typeof import('../../src/lib/server/environments/repo');
let envId = '';
let ownerKey = '';
const HOST = 'wake-1';

beforeAll(async () => {
	sim = await startSim({ nodes: ['pve'] });
	data = await makeDataDir({ simJson: sim.simJson, config: { ssh: { gateway: { listen: '127.0.0.1:0' } } } });
	process.env.SPYRE_CONFIG = data.configPath;
	await useEnvironmentHostKeys();
	lifecycle = await import('../../src/lib/server/environments');
	repo = await import('../../src/lib/server/environments/repo');
	gateway = await import('../../src/lib/server/gateway');
	lifecycle.timings.shutdownTimeoutS = 3;
	const db = (await import('../../src/lib/server/db')).getDb();
	const userId = Number(db.prepare(`INSERT INTO users (username, password_hash, created_at) VALUES ('owner', 'x', ?)`).run(Date.now()).lastInsertRowid);
	const row = await lifecycle.createEnvironment({ hostname: HOST, template: TEST_TEMPLATE, cores: 1, memory: 512, disk: 4 }, { userId, username: 'owner', ip: '127.0.0.1' });
	envId = row.id;
	await lifecycle.settled(envId);
	expect(repo.getEnvironment(envId)!.status).toBe('running');
	await gateway.startGateway();
	const info = gateway.gatewayInfo();
	if (!info.enabled) throw new Error('gateway off');
	const pub = execFileSync('ssh-keygen', ['-y', '-f', path.join(data.dataDir, 'gateway_host_ed25519')], { encoding: 'utf8' }).trim();
	gw = { host: '127.0.0.1', port: info.port, hostPublicKey: pub, dir: data.dataDir };
	ownerKey = path.join(data.dataDir, 'owner_key');
	execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'owner', '-f', ownerKey], { stdio: 'ignore' });
	gateway.keys.add({ userId, username: 'owner', ip: '127.0.0.1' }, { name: 'laptop', key: fs.readFileSync(`${ownerKey}.pub`, 'utf8') });
});

afterAll(async () => {
	await gateway?.stopGateway();
	await lifecycle?.settleAll();
	await (await import('../../src/lib/server/ssh')).closeSshPool();
	(await import('../../src/lib/server/db')).closeDb();
	await sim?.stop();
	data?.remove();
});

describe('SSH gateway and the environment lifecycle', () => {
	it('starts a stopped environment on connect, says so on stderr, then runs the command', async () => {
		lifecycle.stopEnvironment(envId, { userId: null, username: 'tester', ip: null });
		await lifecycle.settled(envId);
		expect(repo.getEnvironment(envId)!.status).toBe('stopped');
		const r = await ssh(gw, ownerKey, HOST, ['echo awake'], { timeoutMs: 120_000 });
		expect(r.stderr).toMatch(/wake-1 is stopped; starting it…/);
		expect(r.stdout).toBe('awake\n');
		expect(r.code).toBe(0);
		expect(repo.getEnvironment(envId)!.status).toBe('running');
	});

	it("lands as the config's first user: exec, a login shell and sftp", async () => {
		// What a provision of a config with `provision.users: [{name: dev}]` leaves: the user, and the snapshot.
		const made = await ssh(gw, ownerKey, HOST, ['useradd -m -s /bin/sh dev && echo made']);
		expect(made.stdout).toBe('made\n');
		const db = (await import('../../src/lib/server/db')).getDb();
		db.prepare(`INSERT INTO provision_runs (environment_id, kind, config_snapshot, status, started_at, finished_at) VALUES (?, 'provision', ?, 'succeeded', ?, ?)`).run(
			envId,
			'# Resolved from dev (dev v1)\nprovision:\n  users:\n    - name: dev\n      groups: []\n',
			Date.now(),
			Date.now()
		);
		const who = await ssh(gw, ownerKey, HOST, [`printf '%s %s' "$(id -un)" "$PWD"`]);
		expect(who.stdout).toBe('dev /home/dev');
		const shell = await ssh(gw, ownerKey, HOST, [], { extra: ['-tt'], input: 'echo "SHELL-AS-$(id -un)"; exit\n' });
		expect(shell.stdout).toContain('SHELL-AS-dev');
		const batch = path.join(data.dataDir, 'batch');
		fs.writeFileSync(batch, 'put /etc/hostname uploaded\nls -l\n');
		const sftp = await spawnClient('sftp', [...clientOptions(gw, ownerKey), '-b', batch, '-P', String(gw.port), `${HOST}@127.0.0.1`]).done;
		expect(sftp.stderr).toBe('');
		expect(sftp.code).toBe(0);
		const owner = await ssh(gw, ownerKey, HOST, ['stat -c %U /home/dev/uploaded']);
		expect(owner.stdout).toBe('dev\n');
	});
});
