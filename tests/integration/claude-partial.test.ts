// A long reply shows while it is written: the REAL CLI (the pinned devDependency, with
// --include-partial-messages) in a simulator CT gets one text block of many lines, streamed by the fake
// Messages API over seconds, through Spyre's broker; the built Spyre follows it. On the task socket the
// page uses, the text grows before the message is complete; a client that connects mid-reply gets the text
// so far, then the rest, and never a line twice; the completed message replaces the partial text; and only
// that message is stored (no stream_event line in the transcript). And a CT that floods its output file with
// stream events (valid ones past every bound, and junk) costs bounded memory and frames, and stores nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installClaudeInCt } from '../helpers/claude-cli';
import { startFakeAnthropicFor, type FakeAnthropic } from '../helpers/fake-anthropic';
import { ssh as sshCmd, startSim, type RunningSim } from '../helpers/sim';
import { setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { assistantTexts, openTaskSocket, type TaskSocketClient } from '../helpers/task-socket';
import type { TaskEvent, TaskView } from '../../src/lib/shared/types/claude';
import { isTransient, parseLine } from '../../src/lib/server/claude/tasks/stream-json';
import { partialLimits } from '../../src/lib/server/claude/tasks/partial';
import { TEST_TEMPLATE } from '../helpers/templates';

const API_KEY = 'sk-ant-api03-spyrepartialkey00000000';
const TEMPLATE = TEST_TEMPLATE;
const LINES = 300;
const OVER_MS = 6000;

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

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
	const deadline = Date.now() + ms;
	for (;;) {
		const v = await fn();
		if (ok(v)) return v;
		if (Date.now() > deadline) throw new Error(`timed out; last ${JSON.stringify(v).slice(0, 400)}`);
		await new Promise((r) => setTimeout(r, 200));
	}
}

const task = async (id: string) => ((await (await api('GET', `/api/claude/tasks/${id}`)).json()) as { task: TaskView }).task;
const stored = async (id: string) => ((await (await api('GET', `/api/claude/tasks/${id}/events?after=0`)).json()) as { events: TaskEvent[] }).events;
const partialText = (c: TaskSocketClient) =>
	c.partial
		.filter((b) => b.type === 'text')
		.map((b) => b.text)
		.join('');
const lineCount = (text: string) => text.split('\n').filter((l) => /^line \d+\/\d+ at [\d.]+$/.test(l)).length;

beforeAll(async () => {
	sim = await startSim();
	fake = await startFakeAnthropicFor(sim.simJson, { acceptKeys: [API_KEY] });
	spyre = await startSpyre({ mode: 'built', simJson: sim.simJson, env: { SPYRE_POLL_MS: '0' }, config: { claude: { api_base_url: fake.url } } });
	cookie = await setupAdmin(spyre.url, 'admin', 'partial-password-1');
	expect((await api('POST', '/auth/claude/api-key', { apiKey: API_KEY })).status).toBe(200);
	const res = await api('POST', '/api/environments', { hostname: 'claude-partial', template: TEMPLATE, cores: 1, memory: 512, disk: 4 });
	expect(res.status).toBe(202);
	envId = ((await res.json()) as { id: string }).id;
	const env = await waitFor(
		async () => (await (await api('GET', `/api/environments/${envId}`)).json()) as { status: string; ip: string | null },
		(e) => e.status === 'running' && !!e.ip,
		120_000
	);
	envIp = env.ip!;
	await installClaudeInCt(`${spyre.dataDir}/ssh/id_ed25519`, envIp, sim.simJson.sshPort);
}, 180_000);

afterAll(async () => {
	await spyre?.stop();
	await sim?.stop();
	await fake?.stop();
});

describe('a long reply, live', () => {
	it('grows on the task socket before the message is complete; a client joining mid-reply gets the text so far, then the rest, once', async () => {
		const res = await api('POST', '/api/claude/tasks', { environmentId: envId, prompt: `[[stream: ${LINES}, ${OVER_MS}]]`, options: { snapshot: false } });
		expect(res.status, await res.clone().text()).toBe(201);
		const id = ((await res.json()) as { task: TaskView }).task.id;
		const early = await openTaskSocket(spyre.url, cookie, id, 0);
		// Every partial text either client ever shows must be a beginning of the final text: a line shown
		// twice, out of order or from another block would break that. Recorded, checked once it is known.
		const seen: string[] = [];
		early.onChange = () => seen.push(partialText(early));
		const completed = (c: TaskSocketClient) => c.events.some((e) => e.type === 'assistant');

		// Growing text while no assistant event exists yet.
		await early.until(() => lineCount(partialText(early)) >= 20, 60_000, 'twenty partial lines');
		expect(completed(early)).toBe(false);
		const first = lineCount(partialText(early));
		await early.until(() => lineCount(partialText(early)) >= first + 20 || completed(early), 30_000, 'more partial lines');
		expect(completed(early), 'the message completed before its text grew on the socket').toBe(false);

		// Joins mid-reply, after the last stored event it knows (the init line): the snapshot comes first.
		const late = await openTaskSocket(spyre.url, cookie, id, early.events.at(-1)?.seq ?? 0);
		late.onChange = () => seen.push(partialText(late));
		await late.until(() => late.frames.length > 0, 10_000, 'the snapshot');
		expect(late.frames[0].reset).toBe(true);
		const atJoin = lineCount(partialText(late));
		if (!completed(late)) {
			expect(atJoin).toBeGreaterThanOrEqual(first + 20);
			// Then live deltas carry it on.
			await late.until(() => lineCount(partialText(late)) > atJoin || completed(late), 30_000, 'the rest after the snapshot');
		}

		const done = await waitFor(
			() => task(id),
			(t) => t.status !== 'running' && t.status !== 'queued',
			90_000
		);
		expect(done.status, done.error ?? '').toBe('succeeded');
		for (const c of [early, late]) await c.until(() => c.events.some((e) => e.type === 'result'), 10_000, 'the result');
		// Once complete, the stored message replaced the partial text on both clients.
		await early.until(() => early.partial.length === 0, 10_000, 'the partial text gives way');
		expect(late.partial).toEqual([]);

		const transcript = await stored(id);
		const [finalText] = assistantTexts(transcript);
		expect(finalText.split('\n').map((l) => l.replace(/ at [\d.]+$/, ''))).toEqual(Array.from({ length: LINES }, (_, i) => `line ${i + 1}/${LINES}`));
		for (const text of seen) expect(finalText.startsWith(text), `partial text is not a beginning of the reply: …${text.slice(-80)}`).toBe(true);
		// Only the completed message is stored: one assistant event, no stream events, no status lines.
		expect(transcript.map((e) => e.type)).toEqual(['system', 'assistant', 'result']);
		expect(assistantTexts(early.events)).toEqual([finalText]);
		expect(assistantTexts(late.events)).toEqual([finalText]);
		// The file in the CT does hold the partial lines; the stored offset is past all of them.
		const file = (await sshCmd(`${spyre.dataDir}/ssh/id_ed25519`, envIp, sim.simJson.sshPort, `cat /var/lib/spyre/claude/${id}/out.jsonl`)).stdout;
		const lines = file.split('\n').filter((l) => l !== '');
		expect(lines.filter((l) => isTransient(parseLine(l))).length).toBeGreaterThan(LINES);
		expect(lines.filter((l) => !isTransient(parseLine(l)))).toHaveLength(transcript.length);
		early.close();
		late.close();
	}, 180_000);

	it('a flood of stream events written in the CT is bounded, coalesced, never stored, and gone when the task ends', async () => {
		const FLOOD = 25_000;
		const q = (json: unknown) => `'${JSON.stringify(json)}'`;
		const ev = (event: unknown) => ({ type: 'stream_event', event, parent_tool_use_id: null, api_message_id: 'msg_flood' });
		const junk = [
			'{"type":"stream_event","event":"x"}',
			JSON.stringify(ev({ type: 'content_block_delta', index: 99999999, delta: { type: 'text_delta', text: 'far' } })),
			JSON.stringify({ ...ev({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: '<b>x</b>', name: 'Bash' } }) }),
			'{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":'
		];
		// Into the output file of the one running task: a message, a text block, FLOOD deltas of 101 characters
		// (past the 2 MiB a task may hold), then junk. awk writes the deltas: one process, not 25,000.
		const delta = JSON.stringify(ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'DELTA' } }))
			.replace(/"/g, '\\042')
			.replace('DELTA', '%0100d\\\\n');
		const script =
			`for f in /var/lib/spyre/claude/*/out.jsonl; do [ -e "\${f%/out.jsonl}/exit" ] && continue; ` +
			`printf '%s\\n' ${q(ev({ type: 'message_start', message: { id: 'msg_flood' } }))} ${q(ev({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }))} >> "$f"; ` +
			`awk 'BEGIN { for (i = 0; i < ${FLOOD}; i++) printf "${delta}\\n", i }' >> "$f"; ` +
			`printf '%s\\n' ${junk.map((j) => `'${j}'`).join(' ')} >> "$f"; sleep 1; done; echo flooded`;
		const res = await api('POST', '/api/claude/tasks', { environmentId: envId, prompt: `[[bash: ${script}]]`, options: { snapshot: false } });
		expect(res.status, await res.clone().text()).toBe(201);
		const id = ((await res.json()) as { task: TaskView }).task.id;
		const client = await openTaskSocket(spyre.url, cookie, id, 0);
		const flood = () => client.partial.find((b) => b.messageId === 'msg_flood');
		// It shows, up to the bound, marked as cut.
		await client.until(() => flood()?.truncated === true, 60_000, 'the flood reaching its bound');
		expect(flood()!.text.length).toBeLessThanOrEqual(partialLimits.maxChars);
		expect(flood()!.text.startsWith('0'.repeat(100) + '\n' + '0'.repeat(99) + '1\n')).toBe(true);
		const done = await waitFor(
			() => task(id),
			(t) => t.status !== 'running' && t.status !== 'queued',
			90_000
		);
		expect(done.status, done.error ?? '').toBe('succeeded');
		expect(done.result).toBe('Done: flooded');
		await client.until(() => client.events.some((e) => e.type === 'result') && client.partial.length === 0, 10_000, 'the end of the partial blocks');
		// Coalesced: tens of thousands of deltas, a few frames (the rate, one per interval, is pinned by
		// live-partial.spec.ts with a controlled clock; arrival times here would depend on the machine's load).
		expect(client.frames.length).toBeLessThan(FLOOD / 50);
		// Nothing of it is stored: the transcript is what the CLI said, and the cut line as raw text.
		const transcript = await stored(id);
		expect(transcript.filter((e) => e.type !== 'raw').map((e) => e.type)).toEqual(['system', 'assistant', 'assistant', 'user', 'assistant', 'result']);
		expect(transcript.filter((e) => e.type === 'raw').map((e) => e.data.text)).toEqual([junk.at(-1)]);
		client.close();
	}, 180_000);
});
