// Claude tasks end to end with the REAL CLI (the pinned devDependency) inside a simulator CT, talking to a
// local fake Messages API through Spyre's credential broker (the CT reaches it at its network's gateway): dispatch, text and a Bash tool call that really runs in the CT, resume, auth
// failure mid-task, an SSH link dropped mid-task, cancel, a 100 KB prompt and one full of shell
// metacharacters (nothing injected), malformed and over-long lines, and Spyre restarted mid-task (the
// built server) with zero lines lost. Spyre's modules run in this process against a temp environment.yaml.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropicFor, type FakeAnthropic } from '../helpers/fake-anthropic';
import { claudeVersion, installClaudeInCt } from '../helpers/claude-cli';
import { ssh as sshCmd, startSim, type RunningSim } from '../helpers/sim';
import { makeDataDir, type TestDataDir } from '../helpers/spyre';
import { useEnvironmentHostKeys } from '../helpers/in-process';
import type { TaskEvent, TaskView } from '../../src/lib/shared/types/claude';
import { TEST_TEMPLATE } from '../helpers/templates';

const API_KEY = 'sk-ant-api03-spyretestkey0000000000';
const TEMPLATE = TEST_TEMPLATE;
const CANARY = '/tmp/spyre-claude-canary';
const actor = { userId: null, username: 'tester', ip: '127.0.0.1' };

let fake: FakeAnthropic;
let sim: RunningSim;
let data: TestDataDir;
let envId = '';
let bridge: typeof import('../../src/lib/server/claude/tasks/bridge');
let auth: typeof import('../../src/lib/server/claude/auth');
let attach: typeof import('../../src/lib/server/claude/tasks/attach');
let environments: typeof import('../../src/lib/server/environments');
let ssh: typeof import('../../src/lib/server/ssh');

async function inCt(cmd: string) {
	const row = environments.getEnvironment(envId)!;
	return sshCmd(data.privateKey, row.ip!, sim.simJson.sshPort, cmd);
}

/** Wait until the task is no longer running (its follower completed it). */
async function finished(id: string, timeoutMs = 60_000): Promise<TaskView> {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const t = bridge.taskView(id);
		if (!['queued', 'running'].includes(t.status)) return t;
		if (Date.now() > end) throw new Error(`task ${id} still ${t.status} after ${timeoutMs} ms`);
		await new Promise((r) => setTimeout(r, 200));
	}
}

function events(id: string): TaskEvent[] {
	return bridge.eventsSince(id, 0, 1_000_000);
}

function assistantTexts(id: string): string[] {
	return events(id)
		.filter((e) => e.type === 'assistant')
		.flatMap((e) => ((e.data.message as { content: Array<{ type: string; text?: string }> }).content ?? []).filter((c) => c.type === 'text').map((c) => c.text!));
}

async function waitForEvents(id: string, pred: (evs: TaskEvent[]) => boolean, timeoutMs = 30_000): Promise<void> {
	const end = Date.now() + timeoutMs;
	while (!pred(events(id))) {
		if (Date.now() > end) throw new Error(`events of ${id} never matched: ${JSON.stringify(events(id).map((e) => e.type))}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

function expectContiguous(id: string): void {
	const seqs = events(id).map((e) => e.seq);
	expect(seqs).toEqual(seqs.map((_, i) => i + 1));
}

beforeAll(async () => {
	sim = await startSim();
	fake = await startFakeAnthropicFor(sim.simJson, { acceptKeys: [API_KEY] });
	data = await makeDataDir({ simJson: sim.simJson, config: { claude: { api_base_url: fake.url } } });
	process.env.SPYRE_CONFIG = data.configPath;
	await useEnvironmentHostKeys();
	environments = await import('../../src/lib/server/environments');
	bridge = await import('../../src/lib/server/claude/tasks/bridge');
	auth = await import('../../src/lib/server/claude/auth');
	attach = await import('../../src/lib/server/claude/tasks/attach');
	ssh = await import('../../src/lib/server/ssh');
	const row = await environments.createEnvironment({ hostname: 'claude-1', template: TEMPLATE, cores: 1, memory: 512, disk: 4 }, actor);
	await environments.settled(row.id);
	envId = row.id;
	expect(environments.getEnvironment(envId)!.status).toBe('running');
	expect((await auth.saveApiKey(API_KEY, actor)).state).toBe('authenticated');
}, 180_000);

afterAll(async () => {
	await bridge?.stopFollowing();
	await environments?.settleAll();
	await ssh?.closeSshPool();
	(await import('../../src/lib/server/db')).closeDb();
	await sim?.stop();
	await fake?.stop();
	data?.remove();
});

describe('Install Claude Code (the product path, once)', () => {
	it('refuses a task where the CLI is missing (claude_missing), then installs it in one call, in bounded time', async () => {
		const err = await bridge.dispatch(envId, { prompt: 'hello' }, actor).catch((e) => e);
		expect(err.code).toBe('claude_missing');
		const t0 = Date.now();
		const done = await bridge.installCli(envId, actor);
		const seconds = (Date.now() - t0) / 1000;
		console.log(`[claude] installed ${done.version} into the CT by ${done.method} in ${seconds.toFixed(1)} s`);
		expect(done).toEqual({ version: claudeVersion(), method: 'copy' });
		expect(seconds).toBeLessThan(60);
		// Nothing half-copied is left beside the binary.
		expect((await inCt(`ls /usr/local/lib/spyre-claude/${claudeVersion()}`)).stdout.trim()).toBe('claude');
	}, 120_000);
});

describe('Claude tasks with the real CLI', () => {
	beforeAll(async () => {
		// Whatever the install test did, the tasks below run on the pinned binary, linked in a second.
		const row = environments.getEnvironment(envId)!;
		await installClaudeInCt(data.privateKey, row.ip!, sim.simJson.sshPort);
	}, 60_000);

	let textTask = '';
	let bashTask = '';
	it('runs a text task: init, assistant text, result with cost, turns and session id', async () => {
		const t = await bridge.dispatch(envId, { prompt: 'Say hello', options: { snapshot: false } }, actor);
		expect(t.status).toBe('running');
		textTask = t.id;
		const done = await finished(t.id);
		expect(done.status, done.error ?? '').toBe('succeeded');
		expect(done.result).toBe('Hello from the fake API. turns=1');
		expect(done.costUsd).toBeGreaterThan(0);
		expect(done.numTurns).toBe(1);
		expect(done.durationMs).toBeGreaterThan(0);
		expect(done.sessionId).toMatch(/^[0-9a-f-]{36}$/);
		expect(events(t.id).map((e) => e.type)).toEqual(['system', 'assistant', 'result']);
		expectContiguous(t.id);
		// The broker sent the credential upstream as an API key; the CT only ever had its task token, whose
		// file is gone; the cost is the broker's measurement.
		expect(fake.requests.at(-1)!.auth).toBe('api_key');
		expect(done.usage).toMatchObject({ calls: 1, inputTokens: 12 });
		expect((await inCt(`ls /var/lib/spyre/claude/${t.id}`)).stdout.split('\n').sort()).not.toContain('credential');
		expect((await inCt(`stat -c %a /var/lib/spyre/claude/${t.id}/prompt`)).stdout.trim()).toBe('600');
	}, 90_000);

	it('runs a Bash tool call that really changes the CT, then the final text', async () => {
		const t = await bridge.dispatch(envId, { prompt: '[[bash: echo made-by-claude > /root/claude-made.txt; cat /root/claude-made.txt]]' }, actor);
		bashTask = t.id;
		const done = await finished(t.id);
		expect(done.status, done.error ?? '').toBe('succeeded');
		expect(done.result).toBe('Done: made-by-claude');
		expect((await inCt('cat /root/claude-made.txt')).stdout).toBe('made-by-claude\n');
		const types = events(t.id).map((e) => e.type);
		expect(types).toEqual(['system', 'assistant', 'assistant', 'user', 'assistant', 'result']);
		// bypassPermissions is the default, so a snapshot was taken first.
		expect(done.options.permissionMode).toBe('bypassPermissions');
		expect(done.snapshot).toMatch(/^spyre_/);
	}, 90_000);

	it('resumes a conversation as a new task linked to the first, in the same session', async () => {
		const first = bridge.taskView(textTask);
		const t = await bridge.resume(textTask, 'And again', {}, actor);
		const done = await finished(t.id);
		expect(done.status, done.error ?? '').toBe('succeeded');
		expect(done.resumeOf).toBe(textTask);
		expect(done.sessionId).toBe(first.sessionId);
		expect(done.result).toBe('Hello from the fake API. turns=2');
	}, 90_000);

	it('a real 401 mid-task fails the task, and the broker (not the task) tells the auth module', async () => {
		const t = await bridge.dispatch(envId, { prompt: '[[bash-then-401: echo before-401]]', options: { snapshot: false } }, actor);
		const done = await finished(t.id);
		expect(done.status).toBe('failed');
		expect(done.error).toMatch(/Invalid API key|authenticat|401/i);
		expect(auth.authStatus()).toMatchObject({ state: 'failed', lastError: expect.stringMatching(/The API key was rejected by Anthropic \(HTTP 401\)/) });
		expect(bridge.readiness(envId)).toMatchObject({ ok: false, code: 'unauthenticated', reason: expect.stringMatching(/API key was rejected/) });
		await auth.saveApiKey(API_KEY, actor);
		expect(bridge.readiness(envId).ok).toBe(true);
	}, 90_000);

	it('loses no line when the SSH link drops mid-task', async () => {
		const t = await bridge.dispatch(envId, { prompt: '[[slow: 30, 120]]', options: { snapshot: false } }, actor);
		await waitForEvents(t.id, (evs) => evs.filter((e) => e.type === 'assistant').length >= 5);
		await ssh.getSshPool().close(envId);
		await waitForEvents(t.id, (evs) => evs.filter((e) => e.type === 'assistant').length >= 12);
		await ssh.closeSshPool();
		const done = await finished(t.id);
		expect(done.status, done.error ?? '').toBe('succeeded');
		expect(assistantTexts(t.id)).toEqual(Array.from({ length: 30 }, (_, i) => `slow line ${i + 1}/30`));
		expectContiguous(t.id);
	}, 90_000);

	it('cancel kills the whole process group', async () => {
		const t0 = Date.now();
		const t = await bridge.dispatch(envId, { prompt: '[[slow: 200, 200]]', options: { snapshot: false } }, actor);
		// The start command returns at once: it does not wait for the detached task (it once did).
		expect(Date.now() - t0).toBeLessThan(10_000);
		await waitForEvents(t.id, (evs) => evs.filter((e) => e.type === 'assistant').length >= 3);
		const pid = Number((await inCt(`cat /var/lib/spyre/claude/${t.id}/pid`)).stdout.trim());
		expect(pid).toBeGreaterThan(1);
		const view = await bridge.cancel(t.id, actor);
		const done = view.status === 'cancelled' ? view : await finished(t.id);
		expect(done.status).toBe('cancelled');
		// Nothing of the group is left: not the launcher, not the CLI it started.
		expect((await inCt(`pgrep -g ${pid} || echo none`)).stdout.trim()).toBe('none');
		expect(assistantTexts(t.id).length).toBeLessThan(200);
	}, 90_000);

	it('a 100 KB prompt full of shell metacharacters arrives intact and injects nothing', async () => {
		const hostile = `$(touch ${CANARY}) \`touch ${CANARY}\` '; touch ${CANARY}; echo ' "$(touch ${CANARY})" \\ $HOME \n`;
		const prompt = hostile + 'x'.repeat(100 * 1024) + '\n' + hostile + '[[say: BIG-OK]]';
		const t = await bridge.dispatch(envId, { prompt, options: { snapshot: false, model: 'claude-fake-1', allowedTools: ['Read', 'Bash(git log:*)'] } }, actor);
		const done = await finished(t.id);
		expect(done.status, done.error ?? '').toBe('succeeded');
		expect(done.result).toBe('BIG-OK');
		expect(fake.requests.at(-1)!.prompt).toContain(hostile.trim());
		expect(fake.requests.at(-1)!.model).toBe('claude-fake-1');
		expect((await inCt(`test -e ${CANARY} && echo present || echo absent`)).stdout.trim()).toBe('absent');
		expect(bridge.taskView(t.id).prompt).toBe(prompt);
	}, 90_000);

	it('stores malformed, truncated and over-long lines as raw text, caps the total, and still finishes', async () => {
		const oldCap = attach.limits.maxStoredBytes;
		const oldLine = attach.limits.maxLineBytes;
		attach.limits.maxStoredBytes = 2 * 1024 * 1024;
		attach.limits.maxLineBytes = 64 * 1024;
		try {
			// The tool writes into the output file of every task still running (only this one): garbage, a cut
			// JSON line, a 300 KB line and 5 MB of small lines, between the CLI's own lines.
			const cmd =
				'for f in /var/lib/spyre/claude/*/out.jsonl; do [ -e "${f%/out.jsonl}/exit" ] && continue; ' +
				'printf "garbage line\\n{\\"type\\":\\"assis\\n" >> "$f"; head -c 300000 /dev/zero | tr "\\0" y >> "$f"; echo >> "$f"; ' +
				'yes "{\\"type\\":\\"noise\\"}" | head -c 5000000 >> "$f"; done; echo wrote';
			const t = await bridge.dispatch(envId, { prompt: `[[bash: ${cmd}]]`, options: { snapshot: false } }, actor);
			const done = await finished(t.id, 120_000);
			expect(done.status, done.error ?? '').toBe('succeeded');
			expect(done.result).toBe('Done: wrote');
			const evs = events(t.id);
			const raw = evs.filter((e) => e.type === 'raw');
			expect(raw.map((e) => e.data.text)).toEqual(expect.arrayContaining(['garbage line', '{"type":"assis']));
			const long = raw.find((e) => e.data.truncated === true)!;
			expect(long.data.droppedBytes).toBe(300_000 - 64 * 1024);
			expect(evs.filter((e) => e.type === 'spyre' && e.data.marker === 'cap')).toHaveLength(1);
			expect(evs.at(-1)!.type).toBe('result');
			expectContiguous(t.id);
		} finally {
			attach.limits.maxStoredBytes = oldCap;
			attach.limits.maxLineBytes = oldLine;
		}
	}, 150_000);

	it('allows at most 3 running tasks per environment', async () => {
		const running = await Promise.all([1, 2, 3].map(() => bridge.dispatch(envId, { prompt: '[[slow: 100, 500]]', options: { snapshot: false } }, actor)));
		const err = await bridge.dispatch(envId, { prompt: 'one too many', options: { snapshot: false } }, actor).catch((e) => e);
		expect(err.code).toBe('conflict');
		for (const t of running) await bridge.cancel(t.id, actor);
	}, 90_000);

	it('rolls the CT back to the snapshot taken before a task: what the task wrote is gone', async () => {
		expect((await inCt('cat /root/claude-made.txt')).stdout).toBe('made-by-claude\n');
		const view = await bridge.rollback(bashTask, actor);
		expect(view.snapshot).toMatch(/^spyre_/);
		// The CT is started again from the snapshot; SSH answers and the file the task wrote is not there.
		let out = '';
		for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 500))) {
			const r = await inCt('test -e /root/claude-made.txt && echo still-there || echo gone');
			out = r.stdout.trim();
			if (out === 'gone' || out === 'still-there') break;
		}
		expect(out).toBe('gone');
		await expect(bridge.rollback(textTask, actor)).rejects.toThrow(/No snapshot/);
	}, 90_000);
});
