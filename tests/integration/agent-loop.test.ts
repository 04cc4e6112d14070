// Issue 19's loop in one chain, with the REAL CLI in a simulator CT and the fake Messages API: a config whose
// spec.repos points at the tests' local git server (with a stored deploy key) → provision clones it (the
// "Clone repositories" step) → a task on the clone whose fake-API reply makes the CLI edit a file and commit
// → the recorded diff equals `git diff <base>` in the CT → Push branch reaches the git server with the stored
// credential (checked on the server side) → Discard rolls back to the snapshot (file gone, repo on main).
// Each piece is covered in depth elsewhere (tests/integration/repos.test.ts: credentials, failures, no
// secret left; claude-task-review.test.ts: branch, changes, review actions): this file checks they chain.
// Spyre's modules run in this process.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropicFor, type FakeAnthropic } from '../helpers/fake-anthropic';
import { installClaudeInCt } from '../helpers/claude-cli';
import { setGatewayPorts, simNetwork, ssh as sshCmd, startSim, type RunningSim } from '../helpers/sim';
import { makeDataDir, type TestDataDir } from '../helpers/spyre';
import { useEnvironmentHostKeys } from '../helpers/in-process';
import { startGitServer, type GitServer } from '../helpers/git-server';
import { waitFor } from '../helpers/wait';
import { TEST_TEMPLATE } from '../helpers/templates';
import type { TaskChangesView, TaskView } from '../../src/lib/shared/types/claude';

const API_KEY = 'sk-ant-api03-spyretestkey0000000000';
const actor = { userId: null, username: 'tester', ip: '127.0.0.1' };
/** Where the config clones the repo: `work/app` relative to the SSH user's (root's) home. */
const REPO = '/root/work/app';
const GIT_ID = '-c user.email=claude@example.test -c user.name=Claude';

let fake: FakeAnthropic;
let sim: RunningSim;
let data: TestDataDir;
let server: GitServer;
let envId = '';
let provisioner: typeof import('../../src/lib/server/provisioner');
let environments: typeof import('../../src/lib/server/environments');
let jobs: typeof import('../../src/lib/server/jobs');
let repos: typeof import('../../src/lib/server/repos');
let bridge: typeof import('../../src/lib/server/claude/tasks/bridge');
let changes: typeof import('../../src/lib/server/claude/tasks/changes');
let review: typeof import('../../src/lib/server/claude/tasks/review');

function inCt(cmd: string) {
	return sshCmd(data.privateKey, environments.getEnvironment(envId)!.ip!, sim.simJson.sshPort, cmd);
}

beforeAll(async () => {
	sim = await startSim();
	fake = await startFakeAnthropicFor(sim.simJson, { acceptKeys: [API_KEY] });
	data = await makeDataDir({ simJson: sim.simJson, config: { claude: { api_base_url: fake.url } } });
	server = await startGitServer({ host: simNetwork(sim.simJson).gateway });
	// Added to the ports already open (the broker's, the fake API's), not in their place.
	await setGatewayPorts(sim.simJson, [...simNetwork(sim.simJson).gatewayPorts, server.sshPort]);
	server.createRepo('app', { 'README.md': '# app\n' });
	const configsDir = path.join(data.dataDir, 'configs');
	fs.mkdirSync(configsDir, { recursive: true });
	fs.writeFileSync(
		path.join(configsDir, 'loop.yaml'),
		`apiVersion: spyre/v1
kind: Environment
metadata: { name: loop }
spec:
  platform: { template: ${TEST_TEMPLATE}, cores: 1, memory: 512, disk: 4 }
  repos:
    - { url: '${server.sshUrl('app')}', ref: main, path: work/app, credential: deploy }
`
	);
	process.env.SPYRE_CONFIG = data.configPath;
	await useEnvironmentHostKeys();
	provisioner = await import('../../src/lib/server/provisioner');
	environments = await import('../../src/lib/server/environments');
	jobs = await import('../../src/lib/server/jobs');
	repos = await import('../../src/lib/server/repos');
	bridge = await import('../../src/lib/server/claude/tasks/bridge');
	changes = await import('../../src/lib/server/claude/tasks/changes');
	review = await import('../../src/lib/server/claude/tasks/review');
	const auth = await import('../../src/lib/server/claude/auth');
	repos.createCredential({ name: 'deploy', kind: 'ssh_key', privateKey: server.deployKey, knownHosts: server.knownHostsLine }, actor);
	expect((await auth.saveApiKey(API_KEY, actor)).state).toBe('authenticated');
}, 120_000);

afterAll(async () => {
	await bridge?.stopFollowing();
	await environments?.settleAll();
	await (await import('../../src/lib/server/ssh')).closeSshPool();
	(await import('../../src/lib/server/db')).closeDb();
	await server?.stop();
	await sim?.stop();
	await fake?.stop();
	data?.remove();
});

describe('the agent loop: repo → provision → task → diff → push → discard', () => {
	let taskId = '';
	let base = '';
	let recorded: TaskChangesView;

	it('provisioning a config with a repo clones it from the git server', async () => {
		const row = await provisioner.provisionEnvironment({ config: 'loop', hostname: 'loop-1' }, actor);
		envId = row.id;
		await environments.settled(envId);
		const run = jobs.latestRun(envId)!;
		expect(run.status, run.error ?? '').toBe('succeeded');
		expect(run.events.some((e) => e.kind === 'step' && e.message.startsWith('Clone repositories: work/app'))).toBe(true);
		const head = await inCt(`git -C ${REPO} rev-parse --abbrev-ref HEAD && git -C ${REPO} rev-parse HEAD`);
		expect(head.code, head.stderr).toBe(0);
		const [branch, commit] = head.stdout.trim().split('\n');
		expect(branch).toBe('main');
		expect(commit).toBe(server.branchHead('app', 'main'));
		base = commit;
		await installClaudeInCt(data.privateKey, environments.getEnvironment(envId)!.ip!, sim.simJson.sshPort);
	}, 180_000);

	it('a task on the clone edits and commits on spyre/<short id>; the recorded diff is `git diff <base>` in the CT', async () => {
		const edit = `cd ${REPO} && echo 'Edited by Claude.' >> README.md && git ${GIT_ID} commit -qam "Claude: extend README" && echo hello > notes.txt && git add notes.txt && git ${GIT_ID} commit -qm "Claude: add notes" && git rev-parse --abbrev-ref HEAD`;
		const t = await bridge.dispatch(envId, { prompt: `[[bash: ${edit}]]`, options: { repo: REPO, snapshot: true } }, actor);
		taskId = t.id;
		const branch = `spyre/${t.id.slice(5, 13)}`;
		const done = await waitFor<TaskView>(
			() => bridge.taskView(t.id),
			(v) => !['queued', 'running'].includes(v.status),
			120_000
		);
		expect(done.status, done.error ?? '').toBe('succeeded');
		expect(done.result).toBe(`Done: ${branch}`);
		const c = await waitFor<TaskChangesView | null>(
			() => changes.changesView(t.id),
			(v) => v !== null && v.state !== 'started',
			60_000
		);
		recorded = c!;
		expect(recorded.error).toBeNull();
		const head = (await inCt(`git -C ${REPO} rev-parse HEAD`)).stdout.trim();
		expect(recorded).toMatchObject({ state: 'recorded', branch, repoPath: REPO, baseCommit: base, headCommit: head });
		expect(recorded.commits.map((x) => x.subject)).toEqual(['Claude: add notes', 'Claude: extend README']);
		const own = await inCt(`git -C ${REPO} diff ${base}`);
		expect(own.code, own.stderr).toBe(0);
		expect(own.stdout).toContain('+Edited by Claude.');
		expect(recorded.diff).toBe(own.stdout);
	}, 180_000);

	it('Push branch reaches the git server with the stored deploy key', async () => {
		expect(server.branchHead('app', recorded.branch)).toBeNull();
		const r = await review.push(taskId, actor);
		expect(r.changes.pushedAt).not.toBeNull();
		expect(server.branchHead('app', recorded.branch)).toBe(recorded.headCommit);
	}, 60_000);

	it('Discard rolls back to the snapshot: the task’s file is gone and the repo is on main at its base', async () => {
		const view = await bridge.rollback(taskId, actor);
		expect(view.rolledBackAt).not.toBeNull();
		// The CT restarts from the snapshot: an SSH error meanwhile counts as "not yet".
		const state = await waitFor(
			async () => (await inCt(`cd ${REPO} && git rev-parse --abbrev-ref HEAD && git rev-parse HEAD && (test -e notes.txt && echo notes-there || echo notes-gone)`)).stdout.trim(),
			(s) => s.includes('notes-'),
			90_000
		);
		expect(state.split('\n')).toEqual(['main', base, 'notes-gone']);
	}, 120_000);
});
