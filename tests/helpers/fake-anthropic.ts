// A fake Anthropic Messages API for tests, the bench and the demo: the real `claude` CLI talks to it through
// ANTHROPIC_BASE_URL. It streams SSE exactly as the real API does (message_start, content_block_start /
// delta / stop with text_delta or input_json_delta, message_delta with stop_reason and usage,
// message_stop) and picks its reply from markers in the newest user prompt, so a test can drive every path:
//   (none)                 one text block: "Hello from the fake API. turns=N" (N = user prompts seen so far)
//   [[bash: CMD]]          a Bash tool_use running CMD; after the tool_result, "Done: <first line of output>"
//   [[bash-then-401: CMD]] the same tool_use, then a 401 when the CLI sends the tool_result
//   [[auth401]]            HTTP 401 authentication_error at once
//   [[slow: N, MS]]        N text blocks ("slow line i/N"), MS ms apart (reload/restart tests)
//   [[long: N]]            N text blocks at once ("long line i/N")
//   [[say: TEXT]]          one text block with TEXT (Markdown tests)
//   [[usage: IN, OUT]]     report IN input and OUT output tokens (budget tests)
//   [[stamped: N, MS]]     N text blocks MS ms apart, each `S<t>S<t>` where t is the write time in epoch ms
//                          (fractional; the first text_delta holds `S<t>`): per-line latency in the bench
//   [[stream: N, MS]]      ONE text block of N lines `line i/N at <t>` streamed over MS ms in N+1 deltas
//                          that do not follow line ends (each holds the rest of one line and the start of
//                          the next, as the real API cuts tokens); t = epoch ms when its first delta was
//                          written: a long reply that grows for seconds before its block is complete
// GET /v1/models answers 200 for an accepted credential and 401 otherwise (Spyre's credential check).
// Every request's headers are recorded with credential values replaced by `<credential>`.
// Listens on 127.0.0.1 only, on a random port. Importable from tests and from plain Node (tsx).

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setGatewayPorts, simNetwork, type SimJson } from './sim';

export interface FakeRequest {
	path: string;
	/** 'api_key' (x-api-key), 'oauth' (Authorization: Bearer) or 'none'. Never the value itself. */
	auth: 'api_key' | 'oauth' | 'none';
	model: string | null;
	stream: boolean;
	/** The marker-bearing text the reply was chosen from. */
	prompt: string;
	/** Every header as received, credential values replaced by `<credential>`. */
	headers: Record<string, string>;
	/** The raw query string (`beta=true`). */
	query: string;
	at: number;
}

export interface FakeAnthropic {
	url: string;
	port: number;
	requests: FakeRequest[];
	/** Credentials accepted (any when empty). A request with another one gets a 401. */
	acceptKeys: Set<string>;
	stop(): Promise<void>;
}

type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> } | { type: 'stream'; lines: number; overMs: number };
interface Plan {
	usage?: { input: number; output: number };
	blocks: Block[];
	delayMs: number;
	stopReason: 'end_turn' | 'tool_use';
}

interface ContentPart {
	type: string;
	text?: string;
	content?: unknown;
}
interface Message {
	role: string;
	content: string | ContentPart[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function textOf(m: Message): string {
	if (typeof m.content === 'string') return m.content;
	return m.content
		.filter((p) => p.type === 'text' && typeof p.text === 'string')
		.map((p) => p.text as string)
		.join('\n');
}

function toolResultOf(m: Message): string | null {
	if (typeof m.content === 'string') return null;
	const r = m.content.find((p) => p.type === 'tool_result');
	if (!r) return null;
	if (typeof r.content === 'string') return r.content;
	if (Array.isArray(r.content)) return (r.content as ContentPart[]).map((p) => p.text ?? '').join('\n');
	return '';
}

/** Marker text lives in the user's own prompt; system reminders the CLI adds never carry `[[`. */
function newestPrompt(messages: Message[]): { prompt: string; prompts: number } {
	const userTexts = messages.filter((m) => m.role === 'user' && toolResultOf(m) === null).map(textOf);
	return { prompt: userTexts.at(-1) ?? '', prompts: userTexts.length };
}

/** A stamped block's text, replaced by `S<t>S<t>` (same length halves) at the moment it is written. */
const STAMP = '\u0000stamp';
const stampNow = () => {
	const t = (performance.timeOrigin + performance.now()).toFixed(3).padStart(20, '0');
	return `S${t}S${t}`;
};

let ids = 0;
const nextId = (prefix: string) => `${prefix}_fake${Date.now().toString(36)}${(++ids).toString(36)}`;

export function planReply(messages: Message[]): Plan | 'auth401' {
	const { prompt, prompts } = newestPrompt(messages);
	const last = messages.at(-1);
	const toolResult = last && last.role === 'user' ? toolResultOf(last) : null;
	if (toolResult !== null) {
		if (/\[\[bash-then-401:/.test(prompt)) return 'auth401';
		const first = toolResult.split('\n')[0].slice(0, 200);
		return { blocks: [{ type: 'text', text: `Done: ${first}` }], delayMs: 0, stopReason: 'end_turn' };
	}
	if (prompt.includes('[[auth401]]')) return 'auth401';
	const bash = /\[\[bash(?:-then-401)?: ([\s\S]*?)\]\]/.exec(prompt);
	if (bash) {
		return {
			blocks: [
				{ type: 'text', text: 'I will run a command.' },
				{ type: 'tool_use', id: nextId('toolu'), name: 'Bash', input: { command: bash[1], description: 'Run the requested command' } }
			],
			delayMs: 0,
			stopReason: 'tool_use'
		};
	}
	const slow = /\[\[slow: (\d+), (\d+)\]\]/.exec(prompt);
	if (slow) {
		const n = Number(slow[1]);
		return { blocks: Array.from({ length: n }, (_, i) => ({ type: 'text', text: `slow line ${i + 1}/${n}` })), delayMs: Number(slow[2]), stopReason: 'end_turn' };
	}
	const stamped = /\[\[stamped: (\d+), (\d+)\]\]/.exec(prompt);
	if (stamped) {
		const n = Number(stamped[1]);
		return { blocks: Array.from({ length: n }, () => ({ type: 'text', text: STAMP })), delayMs: Number(stamped[2]), stopReason: 'end_turn' };
	}
	const streamed = /\[\[stream: (\d+), (\d+)\]\]/.exec(prompt);
	if (streamed) return { blocks: [{ type: 'stream', lines: Number(streamed[1]), overMs: Number(streamed[2]) }], delayMs: 0, stopReason: 'end_turn' };
	const long = /\[\[long: (\d+)\]\]/.exec(prompt);
	if (long) {
		const n = Number(long[1]);
		return { blocks: Array.from({ length: n }, (_, i) => ({ type: 'text', text: `long line ${i + 1}/${n}` })), delayMs: 0, stopReason: 'end_turn' };
	}
	const say = /\[\[say: ([\s\S]*?)\]\]/.exec(prompt);
	const text = say ? say[1] : `Hello from the fake API. turns=${prompts}`;
	const usage = /\[\[usage: (\d+), (\d+)\]\]/.exec(prompt);
	return { blocks: [{ type: 'text', text }], delayMs: 0, stopReason: 'end_turn', ...(usage ? { usage: { input: Number(usage[1]), output: Number(usage[2]) } } : {}) };
}

function sse(res: http.ServerResponse, event: string, data: unknown): void {
	res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

async function streamPlan(res: http.ServerResponse, plan: Plan, model: string, closed: () => boolean): Promise<void> {
	res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': nextId('req') });
	const usage = { input_tokens: plan.usage?.input ?? 12, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
	sse(res, 'message_start', {
		type: 'message_start',
		message: { id: nextId('msg'), type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage }
	});
	let out = 0;
	for (const [index, block] of plan.blocks.entries()) {
		if (index > 0 && plan.delayMs > 0) await sleep(plan.delayMs);
		if (closed()) return;
		if (block.type === 'stream') {
			sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
			out += await streamLines(res, index, block, closed);
			if (closed()) return;
		} else if (block.type === 'text') {
			sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
			const text = block.text === STAMP ? stampNow() : block.text;
			// Two deltas, as the real API splits text: the CLI must join them.
			const mid = Math.ceil(text.length / 2);
			for (const part of [text.slice(0, mid), text.slice(mid)]) {
				if (part) sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: part } });
			}
			out += Math.ceil(text.length / 4);
		} else {
			sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
			const json = JSON.stringify(block.input);
			const mid = Math.ceil(json.length / 2);
			for (const part of [json.slice(0, mid), json.slice(mid)]) {
				sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } });
			}
			out += 20;
		}
		sse(res, 'content_block_stop', { type: 'content_block_stop', index });
	}
	sse(res, 'message_delta', { type: 'message_delta', delta: { stop_reason: plan.stopReason, stop_sequence: null }, usage: { output_tokens: plan.usage?.output ?? out } });
	sse(res, 'message_stop', { type: 'message_stop' });
	res.end();
}

/** One long text block, line by line on a schedule (not a sleep per line: timers drift under load). */
async function streamLines(res: http.ServerResponse, index: number, block: { lines: number; overMs: number }, closed: () => boolean): Promise<number> {
	const start = performance.now();
	let rest = '';
	let tokens = 0;
	for (let i = 1; i <= block.lines + 1; i++) {
		const due = start + ((i - 1) * block.overMs) / block.lines;
		const wait = due - performance.now();
		if (wait > 0) await sleep(wait);
		if (closed()) return tokens;
		let text = rest;
		if (i <= block.lines) {
			const line = `line ${i}/${block.lines} at ${(performance.timeOrigin + performance.now()).toFixed(3)}`;
			const cut = Math.ceil(line.length / 2);
			text += (i > 1 ? '\n' : '') + line.slice(0, cut);
			rest = line.slice(cut);
		}
		sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
		tokens += Math.ceil(text.length / 4);
	}
	return tokens;
}

function unauthorized(res: http.ServerResponse): void {
	res.writeHead(401, { 'content-type': 'application/json', 'request-id': nextId('req') });
	res.end(JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } }));
}

/**
 * `host` is the address it listens on (default 127.0.0.1). A CLI inside a simulator CT reaches it only
 * at the simulator's gateway on an exposed port: use startFakeAnthropicFor(sim) for that.
 */
export async function startFakeAnthropic(opts: { acceptKeys?: string[]; host?: string } = {}): Promise<FakeAnthropic> {
	const requests: FakeRequest[] = [];
	const acceptKeys = new Set(opts.acceptKeys ?? []);
	const sockets = new Set<import('node:net').Socket>();
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const [path, query = ''] = (req.url ?? '/').split('?');
			const apiKey = req.headers['x-api-key'];
			const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
			const key = typeof apiKey === 'string' ? apiKey : bearer;
			const headers: Record<string, string> = {};
			for (const [k, v] of Object.entries(req.headers)) {
				if (v === undefined) continue;
				headers[k] = k === 'x-api-key' ? '<credential>' : k === 'authorization' ? String(v).replace(/^Bearer .+$/, 'Bearer <credential>') : Array.isArray(v) ? v.join(', ') : v;
			}
			if (req.method === 'GET' && path === '/v1/models') {
				requests.push({ path, auth: typeof apiKey === 'string' ? 'api_key' : bearer ? 'oauth' : 'none', model: null, stream: false, prompt: '', headers, query, at: Date.now() });
				if (acceptKeys.size > 0 && (!key || !acceptKeys.has(key))) return unauthorized(res);
				res.writeHead(200, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ data: [{ type: 'model', id: 'claude-fake', display_name: 'Fake' }], has_more: false, first_id: 'claude-fake', last_id: 'claude-fake' }));
				return;
			}
			if (req.method !== 'POST' || path !== '/v1/messages') {
				res.writeHead(404, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: `no route ${req.method} ${path}` } }));
				return;
			}
			let body: { model?: string; stream?: boolean; messages?: Message[] };
			try {
				body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
			} catch {
				res.writeHead(400, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'body is not JSON' } }));
				return;
			}
			const messages = Array.isArray(body.messages) ? body.messages : [];
			const model = body.model ?? 'claude-fake';
			requests.push({
				path,
				auth: typeof apiKey === 'string' ? 'api_key' : bearer ? 'oauth' : 'none',
				model: body.model ?? null,
				stream: body.stream === true,
				prompt: newestPrompt(messages).prompt,
				headers,
				query,
				at: Date.now()
			});
			if (acceptKeys.size > 0 && (!key || !acceptKeys.has(key))) return unauthorized(res);
			const plan = planReply(messages);
			if (plan === 'auth401') return unauthorized(res);
			if (body.stream !== true) {
				res.writeHead(200, { 'content-type': 'application/json' });
				res.end(
					JSON.stringify({
						id: nextId('msg'),
						type: 'message',
						role: 'assistant',
						model,
						content: plan.blocks.filter((b) => b.type !== 'stream'),
						stop_reason: plan.stopReason,
						stop_sequence: null,
						usage: { input_tokens: 12, output_tokens: 10 }
					})
				);
				return;
			}
			let gone = false;
			res.on('close', () => (gone = true));
			streamPlan(res, plan, model, () => gone).catch(() => res.destroy());
		});
	});
	server.on('connection', (s) => {
		sockets.add(s);
		s.on('close', () => sockets.delete(s));
	});
	const host = opts.host ?? '127.0.0.1';
	await new Promise<void>((resolve) => server.listen(0, host, resolve));
	const port = (server.address() as AddressInfo).port;
	return {
		url: `http://${host}:${port}`,
		port,
		requests,
		acceptKeys,
		stop: () =>
			new Promise<void>((resolve) => {
				for (const s of sockets) s.destroy();
				server.close(() => resolve());
			})
	};
}

/**
 * The fake API where CTs of a simulator can reach it: on the simulator's gateway address, with its port
 * exposed there (CTs have no other way to the host). Spyre on the host reaches that address too.
 */
export async function startFakeAnthropicFor(sim: SimJson, opts: { acceptKeys?: string[] } = {}): Promise<FakeAnthropic> {
	const fake = await startFakeAnthropic({ ...opts, host: simNetwork(sim).gateway });
	try {
		await setGatewayPorts(sim, [...simNetwork(sim).gatewayPorts, fake.port]);
	} catch (err) {
		await fake.stop();
		throw err;
	}
	return fake;
}

// `tsx tests/helpers/fake-anthropic.ts [port-file]`: run it on its own (the demo), printing its URL.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
	const fake = await startFakeAnthropic();
	console.log(`fake-anthropic listening on ${fake.url}`);
	if (process.argv[2]) (await import('node:fs')).writeFileSync(process.argv[2], fake.url + '\n');
	process.on('SIGTERM', () => void fake.stop().then(() => process.exit(0)));
}
