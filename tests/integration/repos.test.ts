// spec.repos end to end in a container of the simulator (issue 19, item 1): credentials stored by Spyre, a
// config whose repos are cloned by the provision step over SSH with a deploy key and over smart HTTP with
// a token, pushes over both with repos.push, and the failures a person meets (a credential that fails, a
// repository that is not there, a push refused, a hostile URL, a credential never stored), each with a
// clear message and nothing half-done without a record. After each operation nothing in the CT (files,
// /proc/*/environ, argv, .git/config, processes) holds the secret. The git server (tests/helpers/git-server.ts)
// runs on the simulator's gateway, the only host address a CT reaches, on ports exposed to CTs.
// Spyre's modules run in this process.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setGatewayPorts, simNetwork, ssh as sshCmd, startSim, type RunningSim } from '../helpers/sim';
import { makeDataDir, type TestDataDir } from '../helpers/spyre';
import { useEnvironmentHostKeys } from '../helpers/in-process';
import { startGitServer, type GitServer } from '../helpers/git-server';
import { TEST_TEMPLATE } from '../helpers/templates';
import { quote } from '../../src/lib/server/shell';

const actor = { userId: null, username: 'tester', ip: '127.0.0.1' };

let sim: RunningSim;
let data: TestDataDir;
let server: GitServer;
let configsDir = '';
let provisioner: typeof import('../../src/lib/server/provisioner');
let environments: typeof import('../../src/lib/server/environments');
let jobs: typeof import('../../src/lib/server/jobs');
let repos: typeof import('../../src/lib/server/repos');
let envId = '';
/** A line of the deploy key's base64 body: what a leak of the key would contain. */
let keyLine = '';

function inCt(cmd: string, timeoutMs = 60_000) {
	return sshCmd(data.privateKey, environments.getEnvironment(envId)!.ip!, sim.simJson.sshPort, cmd, timeoutMs);
}

function writeConfig(name: string, repoLines: string): void {
	fs.writeFileSync(
		path.join(configsDir, `${name}.yaml`),
		`apiVersion: spyre/v1
kind: Environment
metadata: { name: ${name} }
spec:
  platform: { template: ${TEMPLATE}, cores: 1, memory: 512, disk: 4 }
  repos:
${repoLines}`
	);
}
const TEMPLATE = TEST_TEMPLATE;

/** Nothing in the CT holds `secret`: no file in the places a user or git writes, no process environ or argv, no holder process. */
async function expectNoSecretInCt(secret: string): Promise<void> {
	// The needle arrives in two halves joined in the shell, so the scan's own command line never matches.
	const half = Math.floor(secret.length / 2);
	const scan = await inCt(
		[
			`a=${quote(secret.slice(0, half))}; b=${quote(secret.slice(half))}; n="$a$b"`,
			'grep -rlF -- "$n" /root /home /tmp /var/tmp /var/lib/spyre /etc /run 2>/dev/null',
			'for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do grep -qF -- "$n" "$f" 2>/dev/null && echo "$f: $(tr "\\0" " " < "$f" | head -c 200)"; done',
			"ps -eo args | grep -E 'ssh-agent|credential-cache' | grep -v grep",
			'ls -d /tmp/spyre-git.* 2>/dev/null',
			'true'
		].join('; '),
		120_000
	);
	expect(scan.stdout.trim(), `the secret or its holder is still in the CT:\n${scan.stdout}`).toBe('');
}

beforeAll(async () => {
	sim = await startSim();
	data = await makeDataDir({ simJson: sim.simJson });
	configsDir = path.join(data.dataDir, 'configs');
	fs.mkdirSync(configsDir, { recursive: true });
	server = await startGitServer({ host: simNetwork(sim.simJson).gateway });
	await setGatewayPorts(sim.simJson, [server.sshPort, server.httpPort]);
	server.createRepo('app', { 'README.md': '# app\n', 'src/main.c': 'int main(void) { return 0; }\n' });
	server.createRepo('docs', { 'index.md': 'docs\n' });
	server.createRepo('locked');
	server.refusePushes('locked', 'pushes to locked are closed by policy');
	keyLine = server.deployKey.split('\n')[2];
	process.env.SPYRE_CONFIG = data.configPath;
	await useEnvironmentHostKeys();
	provisioner = await import('../../src/lib/server/provisioner');
	environments = await import('../../src/lib/server/environments');
	jobs = await import('../../src/lib/server/jobs');
	repos = await import('../../src/lib/server/repos');
	environments.timings.shutdownTimeoutS = 3;
	repos.createCredential({ name: 'deploy', kind: 'ssh_key', privateKey: server.deployKey, knownHosts: server.knownHostsLine }, actor);
	repos.createCredential({ name: 'bot', kind: 'token', username: server.httpUser, token: server.httpToken }, actor);
	repos.createCredential({ name: 'stale', kind: 'token', username: server.httpUser, token: 'not-the-token' }, actor);
	writeConfig(
		'repo-dev',
		`    - { url: '${server.sshUrl('app')}', ref: main, path: work/app, credential: deploy }
    - { url: '${server.httpUrl('docs')}', ref: main, path: /srv/docs, depth: 1, credential: bot }
    - { url: '${server.sshUrl('locked')}', ref: main, path: locked, credential: deploy }
`
	);
}, 120_000);

afterAll(async () => {
	await environments?.settleAll();
	await (await import('../../src/lib/server/ssh')).closeSshPool();
	(await import('../../src/lib/server/db')).closeDb();
	await server?.stop();
	await sim?.stop();
	data?.remove();
});

describe('spec.repos in a container', () => {
	it('the provision step clones over SSH with a deploy key and over HTTP with a token, and leaves no secret behind', async () => {
		const row = await provisioner.provisionEnvironment({ config: 'repo-dev', hostname: 'repo-dev-1' }, actor);
		envId = row.id;
		await environments.settled(envId);
		const run = jobs.latestRun(envId)!;
		expect(run.status, run.error ?? '').toBe('succeeded');
		const steps = run.events.filter((e) => e.kind === 'step').map((e) => e.message);
		expect(steps.some((m) => m.startsWith('Clone repositories: work/app, /srv/docs, locked'))).toBe(true);
		expect(run.events.some((e) => e.kind === 'status' && e.message.includes(`Cloning ${server.httpUrl('docs')} (main) into /srv/docs`))).toBe(true);
		const files = await inCt('cat ~/work/app/src/main.c /srv/docs/index.md && git -C /srv/docs rev-list --count HEAD && git -C ~/work/app config --get remote.origin.url');
		expect(files.code, files.stderr).toBe(0);
		expect(files.stdout).toContain('int main');
		expect(files.stdout).toContain('docs');
		expect(files.stdout).toContain(`\n1\n${server.sshUrl('app')}`);
		expect(server.httpAuth).toContain(`${server.httpUser}:${server.httpToken}`);
		expect(JSON.stringify(run.events)).not.toContain(server.httpToken);
		await expectNoSecretInCt(server.httpToken);
		await expectNoSecretInCt(keyLine);
		expect(repos.reposOf(envId).map((r) => r.path)).toEqual(['work/app', '/srv/docs', 'locked']);
		expect(repos.repoAt(envId, '~/work/app/').credential).toBe('deploy');
	}, 300_000);

	it('pushes a branch over SSH and over HTTP with the stored credentials', async () => {
		const commit = (dir: string, branch: string) =>
			inCt(`cd ${dir} && git checkout -q -b ${branch} && echo change > change.txt && git add change.txt && git -c user.name=t -c user.email=t@t commit -qm change && git rev-parse HEAD`);
		const a = await commit('~/work/app', 'spyre/a1');
		expect(a.code, a.stderr).toBe(0);
		await repos.push(envId, repos.repoAt(envId, 'work/app'), 'spyre/a1');
		expect(server.branchHead('app', 'spyre/a1')).toBe(a.stdout.trim());
		const d = await commit('/srv/docs', 'spyre/d1');
		expect(d.code, d.stderr).toBe(0);
		await repos.push(envId, repos.repoAt(envId, '/srv/docs'), 'spyre/d1');
		expect(server.branchHead('docs', 'spyre/d1')).toBe(d.stdout.trim());
		await expectNoSecretInCt(server.httpToken);
		await expectNoSecretInCt(keyLine);
	}, 180_000);

	it('a refused push is a clear error with the server message, and leaves no secret', async () => {
		const c = await inCt('cd ~/locked && git checkout -q -b spyre/l1 && echo x > x && git add x && git -c user.name=t -c user.email=t@t commit -qm x');
		expect(c.code, c.stderr).toBe(0);
		const err = await repos.push(envId, repos.repoAt(envId, 'locked'), 'spyre/l1').catch((e: unknown) => e);
		expect(err).toBeInstanceOf(repos.GitError);
		expect((err as Error).message).toContain('the git server refused the push');
		expect((err as Error).message).toContain('pushes to locked are closed by policy');
		expect(server.branchHead('locked', 'spyre/l1')).toBeNull();
		await expectNoSecretInCt(keyLine);
	}, 120_000);

	it('a credential that fails and a repository that is not there fail the step with a clear message and no half clone; retry works once fixed', async () => {
		writeConfig(
			'repo-dev',
			`    - { url: '${server.httpUrl('app')}', ref: main, path: via-http, credential: stale }
    - { url: '${server.sshUrl('missing')}', ref: main, path: missing, credential: deploy }
`
		);
		await provisioner.retryProvision(envId, 'repos', actor);
		await environments.settled(envId);
		let run = jobs.latestRun(envId)!;
		expect(run.status).toBe('failed');
		expect(run.error).toContain('the git server refused the credential');
		expect(environments.getEnvironment(envId)!.error_step).toBe('repos');
		expect((await inCt('test -e via-http && echo left || echo none')).stdout.trim()).toBe('none');
		await expectNoSecretInCt('not-the-token');

		repos.replaceCredential('stale', { kind: 'token', username: server.httpUser, token: server.httpToken }, actor);
		await provisioner.retryProvision(envId, null, actor);
		await environments.settled(envId);
		run = jobs.latestRun(envId)!;
		expect(run.status).toBe('failed');
		expect(run.error).toContain('does not exist');
		expect((await inCt('test -d via-http/.git && echo cloned; test -e missing && echo left || echo none')).stdout.trim()).toBe('cloned\nnone');
		await expectNoSecretInCt(server.httpToken);
	}, 300_000);

	it('a hostile URL is refused at its line, and a credential never stored is refused before anything is created', async () => {
		writeConfig('hostile', `    - { url: 'ext::sh -c touch% /tmp/pwned', ref: main, path: x }\n`);
		const err = await provisioner.provisionEnvironment({ config: 'hostile', hostname: 'hostile-1' }, actor).catch((e: unknown) => e);
		expect((err as { problems?: Array<{ path: string; line: number }> }).problems).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'spec.repos[0].url', line: 7 })]));
		writeConfig('no-cred', `    - { url: '${server.httpUrl('app')}', ref: main, path: app, credential: nobody }\n`);
		const before = environments.listEnvironments().length;
		const missing = await provisioner.provisionEnvironment({ config: 'no-cred', hostname: 'no-cred-1' }, actor).catch((e: unknown) => e);
		expect((missing as Error).message).toContain('the credential nobody (for app) is not stored in Spyre');
		expect(environments.listEnvironments().length).toBe(before);
	}, 60_000);
});
