// N attempts through the built server, against the simulator with the real CLI and the fake Messages API: an
// environment provisioned from a config with `spec.claude.check` → Run 2 attempts → a snapshot, two full
// clones registered as environments (`<env>-a1`, `-a2`), the same task in each, the check run after each
// task (its exit code and last lines, cleaned), one notice for the set → Keep one: the other clone is
// destroyed through the normal destroy flow (gone from Proxmox), the comparison keeps its figures, the kept
// one is an ordinary environment. Bad input and the per-cluster clone limit answer clear errors.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installClaudeInCt } from '../helpers/claude-cli';
import { startFakeAnthropicFor, type FakeAnthropic } from '../helpers/fake-anthropic';
import { pveRequest, ssh as sshCmd, startSim, type RunningSim } from '../helpers/sim';
import { login, openEvents, setupAdmin, startSpyre, type EventsClient, type RunningSpyre } from '../helpers/spyre';
import { waitFor } from '../helpers/wait';
import { createEnvironment } from '../helpers/environments';
import { TEST_TEMPLATE } from '../helpers/templates';
import type { AttemptSetView } from '../../src/lib/shared/types/attempts';

const API_KEY = 'sk-ant-api03-spyreattemptskey00000000';
const SOURCE = 'att-src';

let fake: FakeAnthropic;
let sim: RunningSim;
let spyre: RunningSpyre;
let cookie = '';
let envId = '';
let events: EventsClient;

function api(method: string, pathname: string, body?: unknown) {
	return fetch(`${spyre.url}${pathname}`, {
		method,
		headers: { origin: spyre.url, cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
		body: body === undefined ? undefined : JSON.stringify(body)
	});
}

/** The attempt sets' base templates that exist on the simulator (named `<source>-base`): their `template` flags. */
const bases = async () =>
	(await pveRequest<Array<{ name?: string; template?: number }>>(sim.simJson, 'GET', '/cluster/resources', { query: { type: 'vm' } }))
		.body!.data.filter((r) => r.name === `${SOURCE}-base`)
		.map((r) => Number(r.template ?? 0));

const setOf = async (id: string) => ((await (await api('GET', `/api/claude/attempts/${id}`)).json()) as { set: AttemptSetView }).set;

beforeAll(async () => {
	sim = await startSim();
	fake = await startFakeAnthropicFor(sim.simJson, { acceptKeys: [API_KEY] });
	spyre = await startSpyre({ mode: 'built', simJson: sim.simJson, config: { claude: { api_base_url: fake.url, max_attempt_clones: 4 } } });
	cookie = await setupAdmin(spyre.url, 'admin', 'correct-horse-battery');
	expect((await api('POST', '/auth/claude/api-key', { apiKey: API_KEY })).status).toBe(200);
	const dir = path.join(spyre.dataDir, 'configs');
	fs.mkdirSync(dir, { recursive: true });
	// The check passes in the first clone only, and prints what a hostile CT might (an escape sequence).
	fs.writeFileSync(
		path.join(dir, 'attempts-test.yaml'),
		`apiVersion: spyre/v1
kind: Environment
metadata: { name: attempts-test }
spec:
  platform: { template: ${TEST_TEMPLATE}, cores: 1, memory: 512, disk: 4 }
  claude:
    check:
      run: |
        printf 'checked %s in %s\\033[31m\\n' "$(hostname)" "$(pwd)"
        cat /root/attempt.txt
        test "$(hostname)" = ${SOURCE}-a1
`
	);
	const env = await createEnvironment(api, { config: 'attempts-test', hostname: SOURCE });
	envId = env.id;
	await installClaudeInCt(`${spyre.dataDir}/ssh/id_ed25519`, env.ip!, sim.simJson.sshPort);
	events = await openEvents(spyre.url, cookie, 0);
}, 300_000);

afterAll(async () => {
	events?.close();
	await spyre?.stop();
	await sim?.stop();
	await fake?.stop();
});

describe('N attempts', () => {
	it('refuses bad input with a clear message', async () => {
		const cases: Array<[Record<string, unknown>, number, RegExp]> = [
			[{ environmentId: envId, count: 9, prompt: 'x' }, 422, /2 to 8/],
			[{ environmentId: envId, count: 1, prompt: 'x' }, 422, /2 to 8/],
			[{ environmentId: envId, count: 2, prompt: '' }, 422, /prompt/i],
			[{ environmentId: envId, count: 2, prompt: 'x', repo: 'relative/$(id)' }, 422, /absolute/],
			[{ environmentId: 'env-nope', count: 2, prompt: 'x' }, 404, /does not exist/],
			// Over claude.max_attempt_clones (4 here): refused before anything is cloned.
			[{ environmentId: envId, count: 5, prompt: 'x' }, 409, /max_attempt_clones/]
		];
		for (const [body, status, message] of cases) {
			const res = await api('POST', '/api/claude/attempts', body);
			const answer = (await res.json()) as { error: string };
			expect(res.status, JSON.stringify(answer)).toBe(status);
			expect(answer.error).toMatch(message);
		}
	});

	it('clones, runs, checks, tells once; Keep one destroys the other through the normal flow', async () => {
		const res = await api('POST', '/api/claude/attempts', { environmentId: envId, count: 2, prompt: '[[bash: hostname > /root/attempt.txt; hostname]]' });
		expect(res.status, await res.clone().text()).toBe(201);
		const started = ((await res.json()) as { set: AttemptSetView }).set;
		expect(started.attempts.map((a) => a.hostname)).toEqual([`${SOURCE}-a1`, `${SOURCE}-a2`]);
		expect(started.placement).toMatch(/local-lvm is local/);

		// A second set would pass the limit while these clones exist.
		const over = await api('POST', '/api/claude/attempts', { environmentId: envId, count: 3, prompt: 'x' });
		expect(over.status).toBe(409);

		const done = await waitFor(
			() => setOf(started.id),
			(s) => s.status === 'done' || s.status === 'failed',
			240_000
		);
		expect(done.status, JSON.stringify(done)).toBe('done');
		expect(done.snapshot).toBeNull();
		for (const a of done.attempts) {
			expect(a.taskStatus, a.error ?? '').toBe('succeeded');
			expect(a.numTurns).toBeGreaterThan(0);
			expect(a.cloneMs).toBeGreaterThan(0);
			expect(a.check?.lines[0]).toBe(`checked ${a.hostname} in /root[31m`);
			// What the task did in its own clone, not in the source or the other clone.
			expect(a.check?.lines[1]).toBe(a.hostname);
		}
		expect(done.attempts.map((a) => a.check?.exitCode)).toEqual([0, 1]);
		// The source's snapshot is gone, and so is its file: the task never ran there.
		const sourceVmid = ((await (await api('GET', `/api/environments/${envId}`)).json()) as { vmid: number }).vmid;
		const snaps = await pveRequest<Array<{ name: string }>>(sim.simJson, 'GET', `/nodes/pve/lxc/${sourceVmid}/snapshot`);
		expect(snaps.body!.data.map((s) => s.name)).toEqual(['current']);

		const notice = await events.waitFor((m) => m.type === 'notice' && (m.data as { kind: string }).kind === 'attempts.done', 20_000);
		expect((notice.data as { message: string }).message).toContain('2 of 2 succeeded, 1 passed the check');
		expect(events.messages.filter((m) => m.type === 'notice' && String((m.data as { kind: string }).kind).startsWith('task.'))).toEqual([]);

		// Keep needs the exact list of what goes.
		const [first, second] = done.attempts;
		const unconfirmed = await api('POST', `/api/claude/attempts/${done.id}/keep`, { attempt: 1, destroy: [] });
		expect(unconfirmed.status).toBe(409);
		expect(((await unconfirmed.json()) as { error: string }).error).toContain(second.hostname);
		const kept = await api('POST', `/api/claude/attempts/${done.id}/keep`, { attempt: 1, destroy: [second.hostname] });
		expect(kept.status, await kept.clone().text()).toBe(200);

		const after = await waitFor(
			() => setOf(done.id),
			(s) => s.attempts[1].environmentId === null,
			120_000
		);
		expect(after.status).toBe('kept');
		expect(after.keptN).toBe(1);
		// The destroyed attempt's figures outlive its task row.
		expect(after.attempts[1]).toMatchObject({ status: 'discarded', taskStatus: 'succeeded', numTurns: second.numTurns, check: { exitCode: 1 } });
		const vmids = (await pveRequest<Array<{ name?: string }>>(sim.simJson, 'GET', '/cluster/resources', { query: { type: 'vm' } })).body!.data.map((r) => r.name);
		expect(vmids).toContain(first.hostname);
		expect(vmids).not.toContain(second.hostname);
		const keptEnv = (await (await api('GET', `/api/environments/${first.environmentId}`)).json()) as { status: string; attemptSetId: string | null; ip: string };
		expect(keptEnv).toMatchObject({ status: 'running', attemptSetId: null });
		// The kept clone is a CT of its own: it answers SSH with what its task wrote.
		const out = await sshCmd(`${spyre.dataDir}/ssh/id_ed25519`, keptEnv.ip, sim.simJson.sshPort, 'cat /root/attempt.txt');
		expect(out.stdout.trim()).toBe(first.hostname);

		// The clones were linked clones of the set's base template, which stays while the kept clone lives...
		expect(after.placement).toMatch(/Linked clones of template CT \d+/);
		expect(await bases()).toEqual([1]);
		// ...and goes with it, through the normal destroy flow.
		expect((await api('DELETE', `/api/environments/${first.environmentId}`)).status).toBeLessThan(300);
		await waitFor(bases, (b) => b.length === 0, 120_000);
	}, 400_000);

	it('a restart ends every set truthfully: running tasks are followed to the end, a set still cloning fails and leaves nothing', async () => {
		const post = async (prompt: string) => {
			const res = await api('POST', '/api/claude/attempts', { environmentId: envId, count: 2, prompt });
			expect(res.status, await res.clone().text()).toBe(201);
			return ((await res.json()) as { set: AttemptSetView }).set.id;
		};
		// A set whose two tasks run while Spyre is down (the check still runs after each, once Spyre is back).
		const running = await post('[[bash: i=0; while [ $i -lt 25 ]; do sleep 1; i=$((i+1)); done; hostname > /root/attempt.txt; hostname]]');
		const started = await waitFor(
			() => setOf(running),
			(s) => s.attempts.every((a) => a.taskStatus === 'running'),
			180_000
		);
		// Down only once each CLI waits for its tool (no model call in flight: it would find no broker).
		for (const a of started.attempts) {
			await waitFor(
				async () => ((await (await api('GET', `/api/claude/tasks/${a.taskId}/events?after=0`)).json()) as { events: Array<{ type: string }> }).events,
				(evs) => evs.filter((e) => e.type === 'assistant').length >= 1,
				60_000
			);
		}
		// And one cut short before its clones exist.
		const cut = await post('[[bash: hostname]]');
		events.close();
		await spyre.stop({ keepData: true });
		spyre = await startSpyre({ mode: 'built', reuse: spyre });
		cookie = await login(spyre.url, 'admin', 'correct-horse-battery');

		const ended = await waitFor(
			() => setOf(cut),
			(s) => s.status === 'failed' && s.attempts.every((a) => a.environmentId === null),
			120_000
		);
		expect(ended.snapshot).toBeNull();
		for (const a of ended.attempts) expect(a.error).toMatch(/Spyre restarted while this attempt was|Could not snapshot|no clone/i);

		const done = await waitFor(
			() => setOf(running),
			(s) => s.status === 'done',
			120_000
		);
		for (const a of done.attempts) {
			const evs = await (await api('GET', `/api/claude/tasks/${a.taskId}/events?after=0`)).text();
			expect(a.taskStatus, a.error ?? '').toBe('succeeded');
			expect(a.check?.lines[1], evs.slice(-3000)).toBe(a.hostname);
		}
		// Nothing half-made: every attempt clone left is one of the finished set's, and the source has no snapshot.
		const envs = (await (await api('GET', '/api/environments')).json()) as { environments?: Array<{ hostname: string; attemptSetId: string | null }> };
		const clones = (envs.environments ?? []).filter((e) => e.attemptSetId !== null).map((e) => e.hostname);
		expect(clones.sort()).toEqual(done.attempts.map((a) => a.hostname).sort());
		const sourceVmid = ((await (await api('GET', `/api/environments/${envId}`)).json()) as { vmid: number }).vmid;
		const snaps = await pveRequest<Array<{ name: string }>>(sim.simJson, 'GET', `/nodes/pve/lxc/${sourceVmid}/snapshot`);
		expect(snaps.body!.data.map((s) => s.name)).toEqual(['current']);
		const discard = await api('POST', `/api/claude/attempts/${running}/keep`, { attempt: null, destroy: clones });
		expect(discard.status, await discard.clone().text()).toBe(200);
		// No base template is left: the discarded set's goes with its last clone, the cut set's half-made one
		// once the set has failed.
		await waitFor(bases, (b) => b.length === 0, 120_000);
	}, 400_000);
});
