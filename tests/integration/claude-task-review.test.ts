// A task on a repository, end to end with the REAL CLI inside a simulator CT and the fake Messages API: the
// branch spyre/<short id> made before it, the fake API's Bash tool call editing, committing and leaving an
// untracked file, the changes recorded from the CT (equal to git's own diff of base → working tree, the
// user's index untouched), Push reaching the remote, a push the remote refuses, Continue on the same branch,
// and Discard restoring the snapshot. Bad input: a repo path with shell metacharacters, a path that is no
// work tree. Spyre's modules run in this process against a temp environment.yaml.
//
// The remote is a bare repository in the CT at REMOTE: the work tree is not in spec.repos, so Push goes to
// its own origin with no credential. A push with a stored credential to the tests' git server, after a
// provision that cloned it, is the chain in agent-loop.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropicFor, type FakeAnthropic } from '../helpers/fake-anthropic';
import { installClaudeInCt } from '../helpers/claude-cli';
import { ssh as sshCmd, startSim, type RunningSim } from '../helpers/sim';
import { makeDataDir, type TestDataDir } from '../helpers/spyre';
import { useEnvironmentHostKeys } from '../helpers/in-process';
import type { TaskChangesView, TaskView } from '../../src/lib/shared/types/claude';
import { TEST_TEMPLATE } from '../helpers/templates';

const API_KEY = 'sk-ant-api03-spyretestkey0000000000';
const actor = { userId: null, username: 'tester', ip: '127.0.0.1' };
const REPO = '/root/app';
const REMOTE = '/srv/remote.git';
const GIT_ID = '-c user.email=claude@example.test -c user.name=Claude';

let fake: FakeAnthropic;
let sim: RunningSim;
let data: TestDataDir;
let envId = '';
let bridge: typeof import('../../src/lib/server/claude/tasks/bridge');
let changes: typeof import('../../src/lib/server/claude/tasks/changes');
let review: typeof import('../../src/lib/server/claude/tasks/review');
let environments: typeof import('../../src/lib/server/environments');
let ssh: typeof import('../../src/lib/server/ssh');
let audit: typeof import('../../src/lib/server/audit');

async function inCt(cmd: string) {
	const row = environments.getEnvironment(envId)!;
	return sshCmd(data.privateKey, row.ip!, sim.simJson.sshPort, cmd);
}

async function until<T>(what: string, get: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const v = await get();
		if (ok(v)) return v;
		if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(v)?.slice(0, 300)} after ${timeoutMs} ms`);
		await new Promise((r) => setTimeout(r, 200));
	}
}

const finished = (id: string) =>
	until<TaskView>(
		`task ${id}`,
		() => bridge.taskView(id),
		(t) => !['queued', 'running'].includes(t.status)
	);
const recorded = (id: string) =>
	until<TaskChangesView | null>(
		`changes of ${id}`,
		() => changes.changesView(id),
		(c) => c !== null && c.state !== 'started'
	);

beforeAll(async () => {
	sim = await startSim();
	fake = await startFakeAnthropicFor(sim.simJson, { acceptKeys: [API_KEY] });
	data = await makeDataDir({ simJson: sim.simJson, config: { claude: { api_base_url: fake.url } } });
	process.env.SPYRE_CONFIG = data.configPath;
	await useEnvironmentHostKeys();
	environments = await import('../../src/lib/server/environments');
	bridge = await import('../../src/lib/server/claude/tasks/bridge');
	changes = await import('../../src/lib/server/claude/tasks/changes');
	review = await import('../../src/lib/server/claude/tasks/review');
	ssh = await import('../../src/lib/server/ssh');
	audit = await import('../../src/lib/server/audit');
	const auth = await import('../../src/lib/server/claude/auth');
	const row = await environments.createEnvironment({ hostname: 'review-1', template: TEST_TEMPLATE, cores: 1, memory: 512, disk: 4 }, actor);
	await environments.settled(row.id);
	envId = row.id;
	expect((await auth.saveApiKey(API_KEY, actor)).state).toBe('authenticated');
	await installClaudeInCt(data.privateKey, environments.getEnvironment(envId)!.ip!, sim.simJson.sshPort);
	// The owner's repo: one commit on main, a staged-but-uncommitted change the task must not disturb, and
	// its origin a bare repository (the remote Push goes to).
	const setup = await inCt(
		[
			'set -e',
			`git init -q --bare ${REMOTE}`,
			`git init -q -b main ${REPO}`,
			`cd ${REPO}`,
			'printf "one\\ntwo\\n" > README',
			'git add README',
			`git ${GIT_ID} commit -qm "Initial commit"`,
			`git remote add origin ${REMOTE}`,
			'git push -q origin main',
			'echo staged > staged.txt',
			'git add staged.txt'
		].join('\n')
	);
	expect(setup.code, setup.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
	await bridge?.stopFollowing();
	await environments?.settleAll();
	await ssh?.closeSshPool();
	(await import('../../src/lib/server/db')).closeDb();
	await sim?.stop();
	await fake?.stop();
	data?.remove();
});

describe('a task on a repository: branch, recorded changes, review actions', () => {
	let taskId = '';
	let base = '';

	it('refuses a repo path with shell metacharacters before anything runs, with a field error', async () => {
		const err = await bridge.dispatch(envId, { prompt: 'x', options: { repo: `${REPO}; touch /tmp/pwned`, snapshot: false } }, actor).catch((e) => e);
		expect(err).toMatchObject({ code: 'validation', fields: { repo: 'may use letters, digits and . _ @ + - / only' } });
		expect((await inCt('test -e /tmp/pwned && echo yes || echo no')).stdout.trim()).toBe('no');
	});

	it('refuses a path that is no git work tree: the task is recorded as failed with the reason', async () => {
		const err = await bridge.dispatch(envId, { prompt: 'x', options: { repo: '/tmp', snapshot: false } }, actor).catch((e) => e);
		expect(err.code).toBe('validation');
		expect(err.message).toBe('The repository /tmp is not a git work tree.');
		const failed = bridge.listTasks({ environmentId: envId }, 1, 1).tasks[0];
		expect(failed).toMatchObject({ status: 'failed', error: 'Could not start the task: The repository /tmp is not a git work tree.' });
	});

	it('works on spyre/<short id>; its commits, files, lines and diff are recorded from the CT', async () => {
		base = (await inCt(`git -C ${REPO} rev-parse HEAD`)).stdout.trim();
		const edit = `cd ${REPO} && sed -i s/one/ONE/ README && echo hello > new.txt && git add new.txt && git ${GIT_ID} commit -qm "Claude: edit README, add new.txt" -- README new.txt && echo untracked > extra.txt && git rev-parse --abbrev-ref HEAD`;
		const t = await bridge.dispatch(envId, { prompt: `[[bash: ${edit}]]`, options: { repo: REPO, snapshot: true } }, actor);
		taskId = t.id;
		expect(t.options).toMatchObject({ repo: REPO, workdir: REPO });
		const done = await finished(t.id);
		const branch = `spyre/${t.id.slice(5, 13)}`;
		expect(done.status, done.error ?? '').toBe('succeeded');
		expect(done.result).toBe(`Done: ${branch}`);
		const c = (await recorded(t.id))!;
		expect(c.error).toBeNull();
		const head = (await inCt(`git -C ${REPO} rev-parse HEAD`)).stdout.trim();
		expect(c).toMatchObject({ state: 'recorded', branch, repoPath: REPO, baseCommit: base, headCommit: head, diffTruncated: false, filesTruncated: false });
		expect(c.commits).toEqual([{ sha: head, subject: 'Claude: edit README, add new.txt' }]);
		expect(c.files.sort((a, b) => (a.path < b.path ? -1 : 1))).toEqual([
			{ path: 'README', added: 1, removed: 1 },
			{ path: 'extra.txt', added: 1, removed: 0 },
			{ path: 'new.txt', added: 1, removed: 0 },
			{ path: 'staged.txt', added: 1, removed: 0 }
		]);
		expect([c.added, c.removed]).toEqual([4, 1]);
		// Equal to git's own diff of base → working tree (untracked files included, as a temporary index sees them).
		const own = await inCt(`cd ${REPO} && cp .git/index /tmp/idx && GIT_INDEX_FILE=/tmp/idx git add -A && GIT_INDEX_FILE=/tmp/idx git diff --cached --no-renames ${base}; rm -f /tmp/idx`);
		expect(c.diff).toBe(own.stdout);
		expect(c.diff).toContain('+hello');
		// The user's index is as it was: extra.txt still untracked, staged.txt still staged.
		expect((await inCt(`git -C ${REPO} status --porcelain`)).stdout.split('\n').filter(Boolean).sort()).toEqual(['?? extra.txt', 'A  staged.txt']);
	}, 180_000);

	it('Push branch reaches the remote, audited', async () => {
		const r = await review.push(taskId, actor);
		const c = r.changes;
		expect(c.pushedAt).not.toBeNull();
		expect((await inCt(`git --git-dir=${REMOTE} rev-parse refs/heads/${c.branch}`)).stdout.trim()).toBe(c.headCommit);
		expect(audit.recent(5).find((e) => e.action === 'claude.task.push')).toMatchObject({ outcome: 'success', target: taskId });
	}, 60_000);

	it('a push the remote refuses is a clear error, audited as a failure', async () => {
		const c = changes.changesView(taskId)!;
		const hook = `${REMOTE}/hooks/pre-receive`;
		await inCt(`printf '#!/bin/sh\\necho "pushes are frozen today" >&2\\nexit 1\\n' > ${hook} && chmod +x ${hook} && cd ${REPO} && echo more >> new.txt && git ${GIT_ID} commit -qam more`);
		const err = await review.push(taskId, actor).catch((e) => e);
		expect(err.code).toBe('conflict');
		expect(err.message).toContain(`Pushing ${c.branch} to its origin failed: the git server refused the push`);
		expect(err.message).toContain('pushes are frozen today');
		expect(audit.recent(5).find((e) => e.action === 'claude.task.push')).toMatchObject({ outcome: 'failure', target: taskId });
		await inCt(`rm -f ${hook}`);
	}, 60_000);

	it('Open terminal makes a tmux window whose shell starts in the repo, audited', async () => {
		const { envId: where, window } = await review.openTerminal(taskId, actor);
		expect(where).toBe(envId);
		const cwd = await inCt(`tmux -L spyre display-message -p -t =spyre:${window.index} '#{pane_current_path}'`);
		expect(cwd.stdout.trim()).toBe(REPO);
		expect(audit.recent(5).find((e) => e.action === 'terminal.window.create')).toMatchObject({ outcome: 'success', target: envId });
	}, 60_000);

	it('Continue resumes the session on the same branch and records the whole branch from the same base', async () => {
		const first = changes.changesView(taskId)!;
		const t = await bridge.resume(taskId, `[[bash: cd ${REPO} && echo again > again.txt && git rev-parse --abbrev-ref HEAD]]`, {}, actor);
		expect(t.options.repo).toBe(REPO);
		const done = await finished(t.id);
		expect(done.status, done.error ?? '').toBe('succeeded');
		expect(done.result).toBe(`Done: ${first.branch}`);
		const c = (await recorded(t.id))!;
		expect(c).toMatchObject({ state: 'recorded', branch: first.branch, baseCommit: base });
		expect(c.files.map((f) => f.path)).toContain('again.txt');
		expect(c.commits).toHaveLength(2);
	}, 120_000);

	it('a Spyre restart mid-task (following stopped, then the start-up recovery) still records the changes at the end', async () => {
		const t = await bridge.resume(taskId, `[[bash: cd ${REPO} && sleep 2 && echo late > late.txt && echo written]]`, {}, actor);
		// What a shutdown does; the task goes on in its CT with nobody following it.
		await bridge.stopFollowing();
		await until(
			'the task to end in its CT',
			async () => (await inCt(`test -f /var/lib/spyre/claude/${t.id}/exit && echo ended || echo running`)).stdout.trim(),
			(s) => s === 'ended'
		);
		expect(bridge.taskView(t.id).status).toBe('running');
		expect(changes.changesView(t.id)!.state).toBe('started');
		// What a start does: the task completes from its file, and its end records the changes.
		bridge.recoverTasks();
		expect((await finished(t.id)).status).toBe('succeeded');
		const c = (await recorded(t.id))!;
		expect(c.state, c.error ?? '').toBe('recorded');
		expect(c.files.map((f) => f.path)).toContain('late.txt');
	}, 120_000);

	it('Discard rolls back to the snapshot taken before the task: its files are gone, the repo on main', async () => {
		const view = await bridge.rollback(taskId, actor);
		expect(view.rolledBackAt).not.toBeNull();
		const state = await until(
			'the CT after the rollback',
			async () => (await inCt(`cd ${REPO} && git rev-parse --abbrev-ref HEAD && (test -e new.txt && echo new-there || echo new-gone)`).catch(() => ({ stdout: '' }))).stdout.trim(),
			(s) => s.includes('new-')
		);
		expect(state.split('\n')).toEqual(['main', 'new-gone']);
	}, 120_000);
});
