// `npm run bench claude`: how fast a Claude task's output travels from its file in the environment to a
// browser's task socket, through the built Spyre and a simulator CT (CTs share the host's clock, so a
// timestamp written in the CT can be compared with the arrival time here).
//
// A real CLI task (the devDependency, linked into the CT) asks the local fake Messages API for a Bash tool
// call; that command appends lines to the task's own out.jsonl while the CLI waits for it, so the lines
// take exactly the product path: tail in the CT -> SSH -> line reader -> SQLite -> bus -> WebSocket.
// - throughput: LINES lines of ~120 bytes appended at once; lines/s from the first write to the last
//   line's arrival on the socket.
// - latency: PACED lines, one every INTERVAL ms, each carrying its CT write time; arrival - write, p50/p99.
// - reply: a line of one long reply (2,000 lines streamed over 10 s by the fake API) on the task socket
//   after the API sent it, p50/p99, target p99 <= 250 ms (claude-reply.ts); `--part reply` runs only it.
// The broker's own cost (direct vs through it, tokens/s) is measured first, in claude-broker.ts.
import { performance } from 'node:perf_hooks';
import { installClaudeInCt } from '../tests/helpers/claude-cli';
import { startFakeAnthropicFor, type FakeAnthropic } from '../tests/helpers/fake-anthropic';
import { startSim, type RunningSim } from '../tests/helpers/sim';
import { openEvents, setupAdmin, startSpyre, type RunningSpyre } from '../tests/helpers/spyre';
import { log, percentile, round } from './lib/terminal-harness';
import { benchClaudeBroker } from './claude-broker';
import { benchReply } from './claude-reply';
import { flag } from './lib/flags';
import { TEST_TEMPLATE } from '../tests/helpers/templates';

const API_KEY = 'sk-ant-api03-spyrebenchkey0000000000';
const TEMPLATE = TEST_TEMPLATE;
const LINES = 50_000;
const PACED = 300;
const INTERVAL_MS = 20;

interface BenchLine {
	seq: number;
	type: string;
	data: { i?: number; t?: number; phase?: string };
}

/** The shell the tool call runs: append to the output file of the one task still running. */
function toolCommand(script: string): string {
	return `for f in /var/lib/spyre/claude/*/out.jsonl; do [ -e "\${f%/out.jsonl}/exit" ] && continue; ${script}; done; echo bench-done`;
}

const burst = `awk -v n=${LINES} 'BEGIN { for (i = 0; i < n; i++) printf "{\\"type\\":\\"bench\\",\\"phase\\":\\"burst\\",\\"i\\":%d,\\"pad\\":\\"%s\\"}\\n", i, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" }' >> "$f"`;
// `date +%s%N` per line: nanoseconds since the epoch, the same clock as performance.timeOrigin + now().
const paced = `i=0; while [ $i -lt ${PACED} ]; do printf '{"type":"bench","phase":"paced","i":%d,"t":%s}\\n' $i $(date +%s%N) >> "$f"; i=$((i+1)); sleep ${INTERVAL_MS / 1000}; done`;

/** Both parts: the broker's own cost (no CT needed), then the product path from a CT's file to a browser. */
export async function benchClaude(): Promise<Record<string, unknown>> {
	// `--part reply`: only the long-reply figure (the others take minutes).
	const only = flag('part');
	const broker = only === 'reply' ? null : await benchClaudeBroker();
	let transcript: Record<string, unknown>;
	try {
		transcript = await benchTranscript(only === 'reply');
	} catch (err) {
		// A task's CLI reaches the broker only from its CT's own address (a network namespace per CT).
		transcript = { error: err instanceof Error ? err.message : String(err) };
	}
	return { broker, transcript };
}

async function benchTranscript(replyOnly: boolean): Promise<Record<string, unknown>> {
	let sim: RunningSim | undefined;
	let spyre: RunningSpyre | undefined;
	let fake: FakeAnthropic | undefined;
	try {
		sim = await startSim();
		fake = await startFakeAnthropicFor(sim.simJson, { acceptKeys: [API_KEY] });
		spyre = await startSpyre({ mode: 'built', simJson: sim.simJson, env: { SPYRE_POLL_MS: '0' }, config: { claude: { api_base_url: fake.url } } });
		const url = spyre.url;
		const cookie = await setupAdmin(url, 'bench', 'bench-password-1');
		const api = async (method: string, pathname: string, body?: unknown) => {
			const res = await fetch(`${url}${pathname}`, { method, headers: { cookie, origin: url, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
			return { status: res.status, json: (await res.json().catch(() => null)) as Record<string, unknown> };
		};
		if ((await api('POST', '/auth/claude/api-key', { apiKey: API_KEY })).status !== 200) throw new Error('storing the API key failed');
		const created = await api('POST', '/api/environments', { hostname: 'bench-claude', template: TEMPLATE, cores: 2, memory: 1024, disk: 4 });
		const envId = created.json.id as string;
		let ip = '';
		for (const end = Date.now() + 120_000; Date.now() < end && !ip; await new Promise((r) => setTimeout(r, 250))) {
			const env = (await api('GET', `/api/environments/${envId}`)).json as { status: string; ip: string | null };
			if (env.status === 'running' && env.ip) ip = env.ip;
		}
		if (!ip) throw new Error('the environment never ran');
		await installClaudeInCt(`${spyre.dataDir}/ssh/id_ed25519`, ip, sim.simJson.sshPort);

		const run = async (script: string, phase: string, expected: number) => {
			const res = await api('POST', '/api/claude/tasks', { environmentId: envId, prompt: `[[bash: ${toolCommand(script)}]]`, options: { snapshot: false } });
			if (res.status !== 201) throw new Error(`dispatch refused: ${res.status} ${JSON.stringify(res.json)}`);
			const taskId = (res.json.task as { id: string }).id;
			const socket = await openEvents(url, cookie, 0, { path: `/api/claude/${taskId}` });
			const arrivals: Array<{ at: number; line: BenchLine }> = [];
			socket.ws.on('message', (raw) => {
				const at = performance.timeOrigin + performance.now();
				const m = JSON.parse(raw.toString()) as { kind: string } & BenchLine;
				if (m.kind === 'event' && m.type === 'bench' && m.data.phase === phase) arrivals.push({ at, line: m });
			});
			await socket.waitFor((m) => (m as { kind?: string; type?: string }).kind === 'event' && (m as { type?: string }).type === 'result', 300_000);
			socket.close();
			if (arrivals.length !== expected) throw new Error(`${phase}: ${arrivals.length} of ${expected} lines arrived`);
			return arrivals;
		};

		// First: it is the figure with a target, and the runs below leave the CT and SQLite busier.
		const reply = await benchReply(url, cookie, api, envId);
		if (replyOnly) return reply;

		log(`throughput: ${LINES} lines`);
		const burstStart = performance.timeOrigin + performance.now();
		const b = await run(burst, 'burst', LINES);
		const burstSeconds = (b.at(-1)!.at - burstStart) / 1000;
		const firstToLast = (b.at(-1)!.at - b[0].at) / 1000;

		log(`latency: ${PACED} lines, one per ${INTERVAL_MS} ms`);
		const p = await run(paced, 'paced', PACED);
		const delays = p.map((a) => a.at - a.line.data.t! / 1e6).sort((x, y) => x - y);
		return {
			throughput: {
				lines: LINES,
				lineBytes: 120,
				// Includes the CLI's tool call start-up (~1 s): the floor for any burst.
				linesPerSecondFromDispatch: Math.round(LINES / burstSeconds),
				linesPerSecondFirstToLast: Math.round(LINES / firstToLast)
			},
			latencyMs: { lines: PACED, intervalMs: INTERVAL_MS, p50: round(percentile(delays, 50)), p99: round(percentile(delays, 99)), max: round(delays.at(-1)!) },
			...reply
		};
	} finally {
		await spyre?.stop().catch(() => {});
		await sim?.stop().catch(() => {});
		await fake?.stop().catch(() => {});
	}
}
