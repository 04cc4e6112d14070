// Reading the usage Anthropic reports, as the bytes pass through the broker: SSE `message_start` (input and
// cache tokens, the model) and `message_delta` (cumulative output tokens, and any other cumulative counts),
// or the `usage` of a plain JSON answer. Incremental and bounded: it never holds more than one SSE line (up
// to a cap) and only parses the lines that carry usage, so it adds nothing to a streamed line's latency.
// Pure: no I/O. It only ever sees upstream's answer, never what a CT reports.

import type { TokenUsage } from './pricing';

/** A line longer than this is skipped (usage lines are a few hundred bytes). */
const MAX_LINE = 256 * 1024;
/** A JSON (non-SSE) answer is parsed for usage only up to this size. */
const MAX_JSON = 4 * 1024 * 1024;

const FIELDS: Array<[keyof TokenUsage, string]> = [
	['inputTokens', 'input_tokens'],
	['outputTokens', 'output_tokens'],
	['cacheCreationTokens', 'cache_creation_input_tokens'],
	['cacheReadTokens', 'cache_read_input_tokens']
];

const count = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : null);

export class UsageMeter {
	readonly usage: TokenUsage = { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0 };
	model: string | null = null;
	#sse: boolean;
	#line = '';
	#skipping = false;
	#json: Buffer[] = [];
	#jsonBytes = 0;

	constructor(contentType: string | undefined) {
		this.#sse = /text\/event-stream/i.test(contentType ?? '');
	}

	push(chunk: Buffer): void {
		if (!this.#sse) {
			if (this.#jsonBytes + chunk.length <= MAX_JSON) this.#json.push(chunk);
			this.#jsonBytes += chunk.length;
			return;
		}
		let text = chunk.toString('utf8');
		for (;;) {
			const nl = text.indexOf('\n');
			if (nl === -1) {
				if (!this.#skipping) this.#line += text;
				if (this.#line.length > MAX_LINE) {
					this.#skipping = true;
					this.#line = '';
				}
				return;
			}
			const line = this.#skipping ? '' : this.#line + text.slice(0, nl);
			this.#line = '';
			this.#skipping = false;
			text = text.slice(nl + 1);
			this.#sseLine(line);
		}
	}

	/** Call once the answer has ended (or was cut): parses a JSON answer. */
	end(): void {
		if (this.#sse) {
			if (this.#line) this.#sseLine(this.#line);
			this.#line = '';
			return;
		}
		if (this.#jsonBytes > MAX_JSON) return;
		try {
			const body = JSON.parse(Buffer.concat(this.#json).toString('utf8')) as { model?: unknown; usage?: Record<string, unknown> };
			if (typeof body.model === 'string') this.model = body.model;
			this.#apply(body.usage);
		} catch {
			// Not JSON (an error page): no usage.
		}
	}

	#sseLine(line: string): void {
		if (!line.startsWith('data:') || !line.includes('"message_')) return;
		let event: { type?: unknown; message?: { model?: unknown; usage?: Record<string, unknown> }; usage?: Record<string, unknown> };
		try {
			event = JSON.parse(line.slice(5));
		} catch {
			return;
		}
		if (event.type === 'message_start') {
			if (typeof event.message?.model === 'string') this.model = event.message.model;
			this.#apply(event.message?.usage);
		} else if (event.type === 'message_delta') {
			this.#apply(event.usage);
		}
	}

	/** Counts are cumulative within one message: a later value replaces an earlier one. */
	#apply(usage: Record<string, unknown> | undefined): void {
		if (!usage || typeof usage !== 'object') return;
		for (const [key, wire] of FIELDS) {
			const v = count(usage[wire]);
			if (v !== null) this.usage[key] = v;
		}
	}
}
