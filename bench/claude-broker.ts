// The credential broker's cost, part of `npm run bench claude`: the same fake Messages API streamed to
// directly and through the built Spyre's broker, one SSE line at a time.
// - per-line latency: the fake writes N stamped text blocks MS ms apart (`[[stamped: N, MS]]`, each
//   carrying its write time; the fake runs in this process, so one clock); arrival - write, p50/p99,
//   direct vs through the broker. Target: the broker adds at most 5 ms p50.
// - tokens/s through the broker: a long stream (`[[long: N]]`), output tokens as upstream reported them
//   (message_delta usage) over the stream's duration, direct and through the broker.
// The broker accepts only a running task's token from its environment's address: the bench gives the
// built server's database one environment at 127.0.0.1 and one running task whose token hash it knows
// (as bench/lib/many-cts.ts seeds rows), so no CT is needed here.
import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { startFakeAnthropic, type FakeAnthropic } from '../tests/helpers/fake-anthropic';
import { freePort, setupAdmin, startSpyre, type RunningSpyre } from '../tests/helpers/spyre';
import { judge } from './lib/targets';
import { log, percentile, round } from './lib/terminal-harness';

const API_KEY = 'sk-ant-api03-spyrebrokerbench00000000';
const LINES = 400;
const INTERVAL_MS = 5;
const ROUNDS = 3;
const LONG_BLOCKS = 20_000;
const TARGET_ADDED_P50_MS = 5;

const now = () => performance.timeOrigin + performance.now();

/** POST one streaming Messages request; calls `onEvent` with each SSE data object as it arrives. */
function stream(base: string, headers: Record<string, string>, prompt: string, onEvent: (data: Record<string, unknown>, at: number) => void): Promise<void> {
	const url = new URL('/v1/messages?beta=true', base);
	const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64_000, stream: true, messages: [{ role: 'user', content: prompt }] });
	return new Promise((resolve, reject) => {
		const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers } }, (res) => {
			if (res.statusCode !== 200) {
				res.resume();
				return reject(new Error(`HTTP ${res.statusCode} from ${base}`));
			}
			let rest = '';
			res.on('data', (chunk: Buffer) => {
				const at = now();
				rest += chunk.toString('utf8');
				let nl: number;
				while ((nl = rest.indexOf('\n')) !== -1) {
					const line = rest.slice(0, nl);
					rest = rest.slice(nl + 1);
					if (line.startsWith('data: ')) onEvent(JSON.parse(line.slice(6)) as Record<string, unknown>, at);
				}
			});
			res.on('end', () => resolve());
			res.on('error', reject);
		});
		req.on('error', reject);
		req.end(body);
	});
}

async function latencies(base: string, headers: Record<string, string>): Promise<number[]> {
	const out: number[] = [];
	for (let r = 0; r < ROUNDS; r++) {
		const seen = new Set<unknown>();
		await stream(base, headers, `[[stamped: ${LINES}, ${INTERVAL_MS}]]`, (data, at) => {
			const delta = data.delta as { type?: string; text?: string } | undefined;
			const m = delta?.type === 'text_delta' ? /^S(\d+\.\d+)$/.exec(delta.text ?? '') : null;
			// Each block is two deltas written together: the first one's arrival counts.
			if (m && !seen.has(data.index)) {
				seen.add(data.index);
				out.push(at - Number(m[1]));
			}
		});
	}
	if (out.length !== LINES * ROUNDS) throw new Error(`${out.length} of ${LINES * ROUNDS} stamped lines arrived`);
	return out.sort((a, b) => a - b);
}

async function tokensPerSecond(base: string, headers: Record<string, string>): Promise<number> {
	let tokens = 0;
	let first = 0;
	let last = 0;
	await stream(base, headers, `[[long: ${LONG_BLOCKS}]]`, (data, at) => {
		if (!first) first = at;
		last = at;
		if (data.type === 'message_delta') tokens = Number((data.usage as { output_tokens?: number }).output_tokens ?? 0);
	});
	return Math.round(tokens / ((last - first) / 1000));
}

/** A running task at 127.0.0.1 with a token the bench knows, seeded into the server's database. */
function seedTask(dbPath: string): string {
	const token = 'spyre-task-' + crypto.randomBytes(32).toString('base64url');
	const db = new Database(dbPath);
	try {
		const t = Date.now();
		db.prepare(`INSERT INTO environments (id, hostname, node, status, ip, created_at, updated_at) VALUES ('env-brokerbench', 'broker-bench', 'pve', 'running', '127.0.0.1', ?, ?)`).run(t, t);
		db.prepare(
			`INSERT INTO claude_tasks (id, environment_id, prompt, status, options, created_at, started_at, broker_token_hash)
			 VALUES ('task-brokerbench01', 'env-brokerbench', 'bench', 'running', '{}', ?, ?, ?)`
		).run(t, t, crypto.createHash('sha256').update(token).digest('hex'));
	} finally {
		db.close();
	}
	return token;
}

export async function benchClaudeBroker(): Promise<Record<string, unknown>> {
	let spyre: RunningSpyre | undefined;
	let fake: FakeAnthropic | undefined;
	try {
		fake = await startFakeAnthropic({ acceptKeys: [API_KEY] });
		const brokerPort = await freePort();
		spyre = await startSpyre({
			mode: 'built',
			env: { SPYRE_POLL_MS: '0', SPYRE_CLAUDE_HEALTH_MS: '0' },
			config: { claude: { api_base_url: fake.url, broker: { listen: `127.0.0.1:${brokerPort}` } } }
		});
		const cookie = await setupAdmin(spyre.url, 'bench', 'bench-password-1');
		const saved = await fetch(`${spyre.url}/auth/claude/api-key`, {
			method: 'POST',
			headers: { cookie, origin: spyre.url, 'content-type': 'application/json' },
			body: JSON.stringify({ apiKey: API_KEY })
		});
		if (saved.status !== 200) throw new Error(`storing the API key failed: ${saved.status}`);
		const token = seedTask(spyre.dbPath);
		const broker = `http://127.0.0.1:${brokerPort}`;
		const direct = { 'x-api-key': API_KEY };
		const via = { authorization: `Bearer ${token}` };

		log(`per-line latency: ${ROUNDS} × ${LINES} SSE lines, one per ${INTERVAL_MS} ms, direct then through the broker`);
		// One warm-up each (connections, JIT), then the measured rounds.
		await stream(fake.url, direct, '[[stamped: 20, 1]]', () => {});
		await stream(broker, via, '[[stamped: 20, 1]]', () => {});
		const d = await latencies(fake.url, direct);
		const b = await latencies(broker, via);
		const added = round(percentile(b, 50) - percentile(d, 50));

		log(`tokens/s: one stream of ${LONG_BLOCKS} text blocks`);
		const tpsDirect = await tokensPerSecond(fake.url, direct);
		const tpsBroker = await tokensPerSecond(broker, via);
		return {
			lineLatencyMs: {
				lines: LINES * ROUNDS,
				intervalMs: INTERVAL_MS,
				direct: { p50: round(percentile(d, 50)), p99: round(percentile(d, 99)) },
				throughBroker: { p50: round(percentile(b, 50)), p99: round(percentile(b, 99)) }
			},
			tokensPerSecond: { direct: tpsDirect, throughBroker: tpsBroker },
			targets: [
				judge({ name: 'broker added latency per streamed line (p50)', figure: added, unit: 'ms', op: '<=', limit: TARGET_ADDED_P50_MS, versus: 'through the broker minus direct, same fake API' })
			]
		};
	} finally {
		await spyre?.stop().catch(() => {});
		await fake?.stop().catch(() => {});
	}
}
