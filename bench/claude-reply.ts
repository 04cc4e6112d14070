// Part of `npm run bench claude`: "a line of a long reply on the page after the API sent it". A real CLI
// task in a simulator CT asks the fake Messages API for one text block of LINES lines streamed over
// OVER_MS (`[[stream: N, MS]]`); the fake writes each line's send time into it (epoch ms; the CT, the fake
// and this process share the host's clock). This client reads the task socket the page uses, with the
// page's own rules (tests/helpers/task-socket.ts), and timestamps each line the first time it is whole on
// the page: in a partial frame, or at the latest in the stored message. A line that never arrives, or the
// whole reply timing out, counts as +Infinity.
import { openTaskSocket } from '../tests/helpers/task-socket';
import { judge, type JudgedTarget } from './lib/targets';
import { log, percentile, round } from './lib/terminal-harness';

export const REPLY_LINES = 2000;
export const REPLY_OVER_MS = 10_000;
/** Issue 19: a line of a long reply on the page at most this long after the API sent it, p99. */
export const REPLY_P99_TARGET_MS = 250;

// A line is whole only with its three decimals (the fake always writes them), so a line cut mid-number
// never matches.
const LINE = /^line (\d+)\/(\d+) at (\d+\.\d{3})$/gm;

type Api = (method: string, pathname: string, body?: unknown) => Promise<{ status: number; json: Record<string, unknown> }>;

export async function benchReply(url: string, cookie: string, api: Api, envId: string): Promise<{ replyLatencyMs: Record<string, unknown>; targets: JudgedTarget[] }> {
	log(`reply: ${REPLY_LINES} lines in one block over ${REPLY_OVER_MS} ms`);
	const res = await api('POST', '/api/claude/tasks', { environmentId: envId, prompt: `[[stream: ${REPLY_LINES}, ${REPLY_OVER_MS}]]`, options: { snapshot: false } });
	if (res.status !== 201) throw new Error(`dispatch refused: ${res.status} ${JSON.stringify(res.json)}`);
	const taskId = (res.json.task as { id: string }).id;
	const client = await openTaskSocket(url, cookie, taskId, 0);
	const arrived = new Map<number, number>();
	const sentAt = new Map<number, number>();
	const scan = (text: string, at: number) => {
		for (const m of text.matchAll(LINE)) {
			const i = Number(m[1]);
			if (arrived.has(i)) continue;
			arrived.set(i, at);
			sentAt.set(i, Number(m[3]));
		}
	};
	// Only the newest part of a growing block can hold new lines: scan from a little before where the
	// last scan ended (the line cut there), not the whole block on every frame.
	let scanned = 0;
	let frames = 0;
	client.onChange = (at, m) => {
		if (m.kind === 'partial') {
			frames++;
			const text = client.partial.find((b) => b.type === 'text')?.text ?? '';
			if (text.length < scanned) scanned = 0;
			const from = text.lastIndexOf('\n', Math.max(0, scanned - 1));
			scan(text.slice(from + 1), at);
			scanned = text.length;
		} else if (m.kind === 'event' && m.type === 'assistant') {
			const content = (m.data.message as { content?: Array<{ type: string; text?: string }> }).content ?? [];
			for (const c of content) if (c.type === 'text') scan(c.text ?? '', at);
			scanned = 0;
		}
	};
	try {
		await client.until(() => client.events.some((e) => e.type === 'result'), REPLY_OVER_MS + 120_000, 'the result');
	} catch (err) {
		log(`reply: ${(err as Error).message}`);
	}
	client.close();
	const delays = Array.from({ length: REPLY_LINES }, (_, k) => {
		const at = arrived.get(k + 1);
		return at === undefined ? Infinity : at - sentAt.get(k + 1)!;
	});
	const missing = delays.filter((d) => d === Infinity).length;
	const p99 = percentile(delays, 99);
	return {
		replyLatencyMs: {
			lines: REPLY_LINES,
			overMs: REPLY_OVER_MS,
			partialFrames: frames,
			missing,
			p50: round(percentile(delays, 50)),
			p99: Number.isFinite(p99) ? round(p99) : 'Infinity',
			max: Number.isFinite(Math.max(...delays)) ? round(Math.max(...delays)) : 'Infinity',
			// Where in the reply the slowest lines were (line number: ms), to tell a start-up stall from a steady cost.
			slowest: delays
				.map((d, k) => [k + 1, d] as const)
				.sort((a, b) => b[1] - a[1])
				.slice(0, 8)
				.map(([line, d]) => `${line}: ${Number.isFinite(d) ? round(d) : 'Infinity'}`)
		},
		targets: [
			judge({
				name: 'line of a long reply on the page after the API sent it, p99',
				figure: p99,
				unit: 'ms',
				op: '<=',
				limit: REPLY_P99_TARGET_MS,
				versus: `${REPLY_LINES} lines over ${REPLY_OVER_MS / 1000} s`
			})
		]
	};
}
