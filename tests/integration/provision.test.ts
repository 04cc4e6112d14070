// The provisioner against the real simulator: a config built into a CT in its phases (create → helper
// script through the simulated Proxmox host's `pct exec` → users, files, packages from a local apt
// repository, scripts), failures with their output, retry from the failed step after fixing the config,
// cancel, timeouts, a flood of output, and hostile values that must stay data. Spyre's modules run in this
// process against a temp environment.yaml; every command really runs in the CT over SSH.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAptRepo, HELLO_OUTPUT, type AptRepo } from '../helpers/apt-repo';
import { ssh as sshCmd, sshArgs, startSim, type RunningSim } from '../helpers/sim';
import { makeDataDir, type TestDataDir } from '../helpers/spyre';
import { useEnvironmentHostKeys } from '../helpers/in-process';
import { TEST_TEMPLATE } from '../helpers/templates';

let sim: RunningSim;
let data: TestDataDir;
let configsDir: string;
let repo: AptRepo;
let provisioner: typeof import('../../src/lib/server/provisioner');
let environments: typeof import('../../src/lib/server/environments');
let jobs: typeof import('../../src/lib/server/jobs');
let configs: typeof import('../../src/lib/server/configs');
const actor = { userId: null, username: 'tester', ip: '127.0.0.1' };
const TEMPLATE = TEST_TEMPLATE;
const CANARY = '/tmp/spyre-provision-canary';

/** Run a command in an environment's CT over real SSH with Spyre's key (not through Spyre's pool). */
async function inCt(envId: string, cmd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
	const row = environments.getEnvironment(envId)!;
	return sshCmd(data.privateKey, row.ip!, sim.simJson.sshPort, cmd);
}

function writeUserConfig(name: string, text: string): void {
	fs.writeFileSync(path.join(configsDir, `${name}.yaml`), text);
}

/** The test repository's files as config assets, and a files: block that installs them as the only apt source. */
function repoFilesYaml(): string {
	const lines = [
		'      - path: /etc/apt/sources.list.d/debian.sources',
		'        content: "# no network in tests\\n"',
		'      - path: /etc/apt/sources.list.d/spyre-test.list',
		'        content: "deb [trusted=yes] file:/srv/spyre-test-repo ./\\n"'
	];
	for (const file of fs.readdirSync(repo.dir)) {
		lines.push(`      - path: /srv/spyre-test-repo/${file}`, `        source: assets/repo/${file}`);
	}
	return lines.join('\n');
}

function configYaml(name: string, opts: { scripts?: string; helper?: string; extraFiles?: string; packages?: string[] } = {}): string {
	return `apiVersion: spyre/v1
kind: Environment
metadata:
  name: ${name}
  description: provisioner integration test
spec:
  platform:
    template: ${TEMPLATE}
    cores: 1
    memory: 512
    disk: 4
${opts.helper ?? ''}  provision:
    packages: [${(opts.packages ?? ['spyre-hello']).join(', ')}]
    users:
      - name: dev
        groups: [devs, adm]
        shell: /bin/bash
        ssh_keys: ["${fs.readFileSync(data.publicKey, 'utf8').trim()}"]
    files:
${repoFilesYaml()}
      - path: /etc/spyre-test/hello.txt
        owner: dev:dev
        mode: '0640'
        content: |
          hello $(touch ${CANARY}) \`touch ${CANARY}\`
${opts.extraFiles ?? ''}    scripts:
${
	opts.scripts ??
	`      - name: first
        run: echo first-ran > /root/first.txt
`
}`;
}

async function provision(config: string, hostname: string) {
	const row = await provisioner.provisionEnvironment({ config, hostname }, actor);
	await environments.settled(row.id);
	return row.id;
}

function stepsOf(envId: string) {
	const run = jobs.latestRun(envId)!;
	return { run, steps: run.events.filter((e) => e.kind === 'step').map((e) => e.step) };
}

beforeAll(async () => {
	repo = await buildAptRepo(1);
	sim = await startSim();
	// configs.dir is <data_dir>/configs by default.
	data = await makeDataDir({ simJson: sim.simJson });
	configsDir = path.join(data.dataDir, 'configs');
	fs.mkdirSync(path.join(configsDir, 'assets/repo'), { recursive: true });
	fs.mkdirSync(path.join(configsDir, 'assets/helpers'), { recursive: true });
	for (const f of fs.readdirSync(repo.dir)) fs.copyFileSync(path.join(repo.dir, f), path.join(configsDir, 'assets/repo', f));
	process.env.SPYRE_CONFIG = data.configPath;
	await useEnvironmentHostKeys();
	provisioner = await import('../../src/lib/server/provisioner');
	environments = await import('../../src/lib/server/environments');
	jobs = await import('../../src/lib/server/jobs');
	configs = await import('../../src/lib/server/configs');
	environments.timings.shutdownTimeoutS = 3;
}, 120_000);

afterAll(async () => {
	await environments?.settleAll();
	const ssh = await import('../../src/lib/server/ssh');
	await ssh.closeSshPool();
	(await import('../../src/lib/server/db')).closeDb();
	await sim?.stop();
	repo?.remove();
	data?.remove();
});

describe('provisioning from a config', () => {
	let envId = '';

	it('builds a CT in its phases: users, files, packages from the local repository, scripts in order', async () => {
		const helper = '#!/bin/bash\nset -e\necho "helper sees var_motd=$var_motd CTID=$CTID"\necho "$var_motd" > /root/helper-ran\n';
		fs.writeFileSync(path.join(configsDir, 'assets/helpers/setup.sh'), helper);
		const sha = createHash('sha256').update(helper).digest('hex');
		writeUserConfig(
			'prov-full',
			configYaml('prov-full', {
				helper: `  helper_script:\n    file: assets/helpers/setup.sh\n    sha256: ${sha}\n    vars: { var_motd: "it $(works)" }\n    timeout: 60\n`,
				scripts: `      - name: first
        run: |
          echo first-ran > /root/first.txt
          spyre-hello
      - name: as-dev
        user: dev
        workdir: /tmp
        env: { GREETING: "a'b \\"c\\" $(touch ${CANARY})" }
        run: |
          printf '%s|%s|%s\\n' "$(id -un)" "$PWD" "$GREETING" > /tmp/as-dev.txt
`
			})
		);
		envId = await provision('prov-full', 'prov-full-1');
		const row = environments.getEnvironment(envId)!;
		const { run, steps } = stepsOf(envId);
		expect(run.error, JSON.stringify(run.events.slice(-15).map((e) => e.message))).toBeNull();
		expect(run.kind).toBe('provision');
		expect(run.status).toBe('succeeded');
		expect(run.configName).toBe('prov-full');
		expect(run.configSnapshot).toContain('name: prov-full');
		expect(row.status).toBe('running');
		expect(row.config_name).toBe('prov-full');
		// The create flow's steps, then the plan's, then done; each plan step carries i/n and a percent.
		expect(steps).toEqual(['allocate', 'create', 'start', 'network', 'ssh', 'done', 'helper', 'users', 'files', 'packages', 'script:first', 'script:as-dev', 'done']);
		const planSteps = run.events.filter((e) => e.kind === 'step' && ['helper', 'users', 'files', 'packages', 'script:first', 'script:as-dev'].includes(e.step!));
		expect(planSteps.map((e) => [e.index, e.total])).toEqual([
			[2, 7],
			[3, 7],
			[4, 7],
			[5, 7],
			[6, 7],
			[7, 7]
		]);
		expect(planSteps.map((e) => e.phase)).toEqual(['helper', 'provision', 'provision', 'provision', 'provision', 'provision']);
		const percents = run.events.filter((e) => e.percent != null).map((e) => e.percent!);
		expect([...percents].sort((a, b) => a - b)).toEqual(percents);
		expect(run.percent).toBe(100);
		// Output streamed into the log.
		expect(run.events.some((e) => e.kind === 'output' && e.message.includes('helper sees var_motd=it $(works) CTID='))).toBe(true);
		expect(run.events.some((e) => e.kind === 'output' && e.message === HELLO_OUTPUT)).toBe(true);

		// What the CT now holds, checked over a separate SSH login.
		expect((await inCt(envId, 'cat /root/helper-ran')).stdout).toBe('it $(works)\n');
		expect((await inCt(envId, 'id -nG dev')).stdout.trim().split(' ').sort()).toEqual(['adm', 'dev', 'devs']);
		expect((await inCt(envId, 'getent passwd dev | cut -d: -f7')).stdout.trim()).toBe('/bin/bash');
		expect((await inCt(envId, "stat -c '%U:%G %a' /etc/spyre-test/hello.txt")).stdout.trim()).toBe('dev:dev 640');
		expect((await inCt(envId, 'cat /etc/spyre-test/hello.txt')).stdout).toBe(`hello $(touch ${CANARY}) \`touch ${CANARY}\`\n`);
		expect((await inCt(envId, 'spyre-hello')).stdout.trim()).toBe(HELLO_OUTPUT);
		expect((await inCt(envId, 'cat /root/first.txt')).stdout).toBe('first-ran\n');
		expect((await inCt(envId, 'cat /tmp/as-dev.txt')).stdout).toBe(`dev|/tmp|a'b "c" $(touch ${CANARY})\n`);
		expect((await inCt(envId, `test -e ${CANARY} && echo leaked || echo clean`)).stdout.trim()).toBe('clean');
		// The user's SSH key works: log in as dev.
		const args = sshArgs(data.privateKey, row.ip!, sim.simJson.sshPort, ['id -un']).map((a) => (a === `root@${row.ip}` ? `dev@${row.ip}` : a));
		expect(execFileSync('ssh', args, { encoding: 'utf8', timeout: 20_000 }).trim()).toBe('dev');
		// The host never saw any of it.
		expect(fs.existsSync('/usr/bin/spyre-hello')).toBe(false);
		expect(fs.existsSync(CANARY)).toBe(false);
		expect(execFileSync('sh', ['-c', 'getent passwd dev || true'], { encoding: 'utf8' })).toBe('');
	}, 180_000);

	it('a failing script fails its step with its output; retry from that step succeeds after the config is fixed', async () => {
		const failing = `      - name: first
        run: echo first-ran >> /root/runs.txt
      - name: build
        run: |
          echo "building…"
          echo "error: missing widget" >&2
          exit 3
`;
		writeUserConfig('prov-retry', configYaml('prov-retry', { scripts: failing, packages: ['spyre-hello'] }));
		const id = await provision('prov-retry', 'prov-retry-1');
		let row = environments.getEnvironment(id)!;
		let { run } = stepsOf(id);
		expect(run.status).toBe('failed');
		expect(row.status).toBe('error');
		expect(row.error_step).toBe('script:build');
		expect(row.error).toMatch(/Script build failed with exit code 3/);
		const lastLines = run.events
			.filter((e) => e.kind === 'error')
			.map((e) => e.message)
			.join('\n');
		expect(lastLines).toContain('building…');
		expect(lastLines).toContain('error: missing widget');
		expect(row.vmid).not.toBeNull();

		// Fix the config, retry with the default step (the failed one): earlier steps do not run again.
		writeUserConfig('prov-retry', configYaml('prov-retry', { scripts: failing.replace('exit 3', 'echo fixed > /root/build.txt') }));
		await provisioner.retryProvision(id, null, actor);
		await environments.settled(id);
		row = environments.getEnvironment(id)!;
		({ run } = stepsOf(id));
		expect(run.status, row.error ?? '').toBe('succeeded');
		expect(run.events.filter((e) => e.kind === 'step').map((e) => e.step)).toEqual(['script:build', 'done']);
		expect(row.status).toBe('running');
		expect(row.error).toBeNull();
		expect((await inCt(id, 'cat /root/build.txt /root/runs.txt')).stdout).toBe('fixed\nfirst-ran\n');

		// A retry from a step the config does not have is refused clearly.
		await expect(provisioner.retryProvision(id, 'script:nope', actor)).rejects.toThrow(/not in config prov-retry/);
		await environments.destroyEnvironment(id, actor);
		await environments.settled(id);
	}, 180_000);

	it('cancel stops the running step and its remote process; the CT is kept and retry is offered', async () => {
		writeUserConfig('prov-cancel', configYaml('prov-cancel', { packages: ['spyre-hello'], scripts: '      - name: wait\n        run: sleep 300; echo never\n' }));
		const row = await provisioner.provisionEnvironment({ config: 'prov-cancel', hostname: 'prov-cancel-1' }, actor);
		// Cancel only once the script's process is really running in the CT: a cancel that lands before the
		// step starts would pass without proving that the remote process is killed.
		const deadline = Date.now() + 120_000;
		let running = false;
		while (!running && Date.now() < deadline) {
			if (jobs.latestRun(row.id)?.step === 'script:wait') running = (await inCt(row.id, 'pgrep -x sleep >/dev/null && echo yes || echo no')).stdout.trim() === 'yes';
			if (!running) await new Promise((r) => setTimeout(r, 200));
		}
		expect(running, 'the wait script never started in the CT').toBe(true);
		provisioner.cancelRun(row.id, actor);
		await environments.settled(row.id);
		const { run } = stepsOf(row.id);
		expect(run.status).toBe('cancelled');
		const env = environments.getEnvironment(row.id)!;
		expect(env.status).toBe('error');
		expect(env.error_step).toBe('script:wait');
		expect((await inCt(row.id, 'pgrep -x sleep || echo none')).stdout.trim()).toBe('none');
		await environments.destroyEnvironment(row.id, actor);
		await environments.settled(row.id);
	}, 180_000);

	it('a hanging script times out; 100 MB of output keeps a bounded log with its head and tail', async () => {
		writeUserConfig(
			'prov-limits',
			configYaml('prov-limits', {
				packages: ['spyre-hello'],
				scripts: `      - name: flood
        run: |
          head -c 100000000 /dev/zero | tr '\\0' x | fold -w 100
          echo
          echo flood-end
      - name: hang
        timeout: 2
        run: echo before-hang; sleep 600
`
			})
		);
		const before = process.memoryUsage().rss;
		const id = await provision('prov-limits', 'prov-limits-1');
		const { run } = stepsOf(id);
		expect(run.status).toBe('failed');
		const env = environments.getEnvironment(id)!;
		expect(env.error_step).toBe('script:hang');
		expect(env.error).toMatch(/timed out after 2 s/);
		const flood = run.events.filter((e) => e.step === 'script:flood' && e.kind === 'output');
		expect(flood.length).toBeLessThan(600);
		expect(flood.some((e) => /^… \d+ lines omitted …$/.test(e.message))).toBe(true);
		expect(flood.at(-1)!.message).toBe('flood-end');
		expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
		expect((await inCt(id, 'pgrep -x sleep || echo none')).stdout.trim()).toBe('none');
		await environments.destroyEnvironment(id, actor);
		await environments.settled(id);
	}, 240_000);

	it('refuses a helper script whose content does not match its pin, before running anything', async () => {
		fs.writeFileSync(path.join(configsDir, 'assets/helpers/changed.sh'), 'echo changed > /root/changed\n');
		writeUserConfig('prov-pin', configYaml('prov-pin', { helper: `  helper_script:\n    file: assets/helpers/changed.sh\n    sha256: ${'0'.repeat(64)}\n` }));
		const id = await provision('prov-pin', 'prov-pin-1');
		const env = environments.getEnvironment(id)!;
		expect(env.status).toBe('error');
		expect(env.error_step, String(env.error)).toBe('helper');
		expect(env.error).toMatch(/does not match its pin/);
		expect((await inCt(id, 'test -e /root/changed && echo ran || echo not-run')).stdout.trim()).toBe('not-run');
		await environments.destroyEnvironment(id, actor);
		await environments.settled(id);
	}, 180_000);

	it('refuses bad requests clearly: unknown or invalid configs, hostile names', async () => {
		await expect(provisioner.provisionEnvironment({ config: '../../etc/passwd', hostname: 'x' }, actor)).rejects.toThrow(/slug/);
		await expect(provisioner.provisionEnvironment({ config: 'no-such-config', hostname: 'x1' }, actor)).rejects.toThrow(/no-such-config/);
		writeUserConfig('prov-bad', 'apiVersion: spyre/v1\nkind: Environment\nmetadata: { name: prov-bad }\nspec:\n  provision:\n    packages: ["git; touch /tmp/x"]\n');
		await expect(provisioner.provisionEnvironment({ config: 'prov-bad', hostname: 'x2' }, actor)).rejects.toMatchObject({ code: 'validation' });
		await expect(provisioner.provisionEnvironment({ config: 'prov-full', hostname: 'Bad Host;rm' }, actor)).rejects.toMatchObject({ code: 'validation' });
		expect(configs.listConfigs().find((c) => c.name === 'prov-bad')?.valid).toBe(false);
	});

	it('tears down: the provisioned environment is destroyed with its CT', async () => {
		await environments.destroyEnvironment(envId, actor);
		await environments.settled(envId);
		expect(environments.getEnvironment(envId)).toBeUndefined();
	}, 60_000);
});
