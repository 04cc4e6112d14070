// Spyre restarted mid-task, through the built server: two real-CLI tasks stream from a simulator CT while
// Spyre stops and starts again on the same data. Zero lines lost, counted three ways: the lines each
// task's Bash tool wrote into its own output file while Spyre was down (numbered ticks), the lines of the
// output file in the CT, and the stored events (contiguous seqs, exact order, no duplicate). No model call
// is in flight during the restart: the CLIs wait for their tools. Calls reach Anthropic through Spyre's
// credential broker, so a call made while Spyre is down fails: the short task's tool ends while Spyre is
// down, its final call is refused, and the task is completed from its file as failed with that reason.
// A client reconnecting with ?after=SEQ gets exactly what it missed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installClaudeInCt } from '../helpers/claude-cli';
import { startFakeAnthropicFor, type FakeAnthropic } from '../helpers/fake-anthropic';
import { ssh as sshCmd, startSim, type RunningSim } from '../helpers/sim';
import { login, openEvents, setupAdmin, startSpyre, type EventsClient, type RunningSpyre } from '../helpers/spyre';
import { waitFor } from '../helpers/wait';
import { createEnvironment } from '../helpers/environments';
import type { TaskEvent, TaskView } from '../../src/lib/shared/types/claude';
import { isTransient, parseLine } from '../../src/lib/server/claude/tasks/stream-json';
import { TEST_TEMPLATE } from '../helpers/templates';

const API_KEY = 'sk-ant-api03-spyrerestartkey000000000';
const TEMPLATE = TEST_TEMPLATE;
const PASSWORD = 'correct-horse-battery';
const LONG = 200;
const SHORT = 25;

let fake: FakeAnthropic;
let sim: RunningSim;
let spyre: RunningSpyre;
let cookie = '';
let envId = '';
let envIp = '';

function api(method: string, pathname: string, body?: unknown) {
	return fetch(`${spyre.url}${pathname}`, {
		method,
		headers: { origin: spyre.url, cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
		body: body === undefined ? undefined : JSON.stringify(body)
	});
}

const task = async (id: string) => ((await (await api('GET', `/api/claude/tasks/${id}`)).json()) as { task: TaskView }).task;
const stored = async (id: string) => ((await (await api('GET', `/api/claude/tasks/${id}/events?after=0`)).json()) as { events: TaskEvent[] }).events;
const inCt = (cmd: string) => sshCmd(`${spyre.dataDir}/ssh/id_ed25519`, envIp, sim.simJson.sshPort, cmd);

function texts(events: Array<Pick<TaskEvent, 'type' | 'data'>>): string[] {
	return events
		.filter((e) => e.type === 'assistant')
		.flatMap((e) => ((e.data.message as { content: Array<{ type: string; text?: string }> }).content ?? []).filter((c) => c.type === 'text').map((c) => c.text!));
}

/** A Bash tool that appends N numbered `tick` lines, MS ms apart, to its own task's output file. */
function ticker(tag: string, n: number, ms: number): string {
	return (
		`[[bash: for d in /var/lib/spyre/claude/*; do grep -qF ${tag} "$d/prompt" && f="$d/out.jsonl"; done; ` +
		`i=1; while [ $i -le ${n} ]; do printf '{"type":"tick","tag":"${tag}","i":%d}\\n' $i >> "$f"; i=$((i+1)); sleep ${ms / 1000}; done; echo wrote ${n}]]`
	);
}
const ticks = (events: TaskEvent[]) => events.filter((e) => e.type === 'tick').map((e) => e.data.i as number);
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

async function dispatch(prompt: string): Promise<TaskView> {
	const res = await api('POST', '/api/claude/tasks', { environmentId: envId, prompt, options: { snapshot: false } });
	expect(res.status, await res.clone().text()).toBe(201);
	return ((await res.json()) as { task: TaskView }).task;
}

function taskSocket(id: string, after: number): Promise<EventsClient> {
	return openEvents(spyre.url, cookie, after, { path: `/api/claude/${id}` });
}

const seqsOf = (c: EventsClient) => c.messages.filter((m) => (m as { kind?: string }).kind === 'event').map((m) => (m as unknown as TaskEvent).seq);

beforeAll(async () => {
	sim = await startSim();
	fake = await startFakeAnthropicFor(sim.simJson, { acceptKeys: [API_KEY] });
	spyre = await startSpyre({ mode: 'built', simJson: sim.simJson, config: { claude: { api_base_url: fake.url } } });
	cookie = await setupAdmin(spyre.url, 'admin', PASSWORD);
	expect((await api('POST', '/auth/claude/api-key', { apiKey: API_KEY })).status).toBe(200);
	const env = await createEnvironment(api, { hostname: 'claude-restart', template: TEMPLATE, cores: 1, memory: 512, disk: 4 });
	envId = env.id;
	envIp = env.ip!;
	await installClaudeInCt(`${spyre.dataDir}/ssh/id_ed25519`, envIp, sim.simJson.sshPort);
}, 180_000);

afterAll(async () => {
	await spyre?.stop();
	await sim?.stop();
	await fake?.stop();
});

describe('a Spyre restart mid-task', () => {
	it('loses zero lines: a running task is re-attached at its offset, one that ended meanwhile completes from its file', async () => {
		const long = await dispatch(ticker('tag-long', LONG, 100));
		const before = await taskSocket(long.id, 0);
		await before.waitFor((m) => (m as { kind?: string; type?: string; data?: { i?: number } }).type === 'tick' && (m as { data: { i: number } }).data.i === 5, 30_000);
		const short = await dispatch(ticker('tag-short', SHORT, 60));
		await waitFor(
			() => stored(short.id),
			(evs) => ticks(evs).length >= 3,
			20_000
		);

		// Down while both tools write; the short one ends before Spyre is back.
		const stopped = await spyre.stop({ keepData: true });
		expect(stopped.code).not.toBeNull();
		const closed = await before.closed;
		expect(closed.code).not.toBe(1000);
		const seen = seqsOf(before);
		expect(seen.length).toBeGreaterThan(0);
		const lastSeen = seen.at(-1)!;
		// Its final model call finds no broker: the CLI gives up and exits non-zero while Spyre is down.
		const shortExit = await waitFor(
			async () => (await inCt(`cat /var/lib/spyre/claude/${short.id}/exit 2>/dev/null || echo none`)).stdout.trim(),
			(s) => s !== 'none',
			60_000
		);
		expect(shortExit).not.toBe('0');
		expect((await inCt(`cat /var/lib/spyre/claude/${long.id}/exit 2>/dev/null || echo none`)).stdout.trim()).toBe('none');

		spyre = await startSpyre({ mode: 'built', reuse: spyre });
		cookie = await login(spyre.url, 'admin', PASSWORD);

		// The reconnecting client asks for what came after the last line it saw, and gets exactly that.
		const after = await taskSocket(long.id, lastSeen);
		const done = await waitFor(
			() => task(long.id),
			(t) => t.status !== 'running',
			90_000
		);
		expect(done.status, done.error ?? '').toBe('succeeded');
		expect(done.result).toBe(`Done: wrote ${LONG}`);
		await after.waitFor((m) => (m as { kind?: string }).kind === 'event' && (m as unknown as TaskEvent).type === 'result', 10_000);
		const resumedSeqs = seqsOf(after);
		expect(resumedSeqs[0]).toBe(lastSeen + 1);
		expect([...seen, ...resumedSeqs]).toEqual(Array.from({ length: done.lastSeq }, (_, i) => i + 1));
		after.close();

		const shortDone = await waitFor(
			() => task(short.id),
			(t) => t.status !== 'running',
			30_000
		);
		expect(shortDone.status).toBe('failed');
		expect(shortDone.error).toMatch(/connect/i);

		for (const [t, n] of [
			[done, LONG],
			[shortDone, SHORT]
		] as const) {
			const evs = await stored(t.id);
			// The CLI's init and tool call, every tick the tool wrote once and in order, then the CLI's end.
			expect(evs.slice(0, 3).map((e) => e.type)).toEqual(['system', 'assistant', 'assistant']);
			expect(ticks(evs)).toEqual(upTo(n));
			expect(evs.at(-1)!.type).toBe('result');
			expect(evs.map((e) => e.seq)).toEqual(evs.map((_, i) => i + 1));
			// And what was really written in the CT, line for line (the CLI's partial-message lines are shown
			// live, never stored).
			const file = (await inCt(`cat /var/lib/spyre/claude/${t.id}/out.jsonl`)).stdout.split('\n').filter((l) => l !== '');
			expect(file.filter((l) => !isTransient(parseLine(l)))).toHaveLength(evs.length);
		}
		expect(texts(await stored(long.id)).at(-1)).toBe(`Done: wrote ${LONG}`);
	}, 240_000);
});
