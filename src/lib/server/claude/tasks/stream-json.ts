// Reading the CLI's stream-json lines: `claude -p … --output-format stream-json --verbose` prints one JSON
// object per line (`system` init and `api_retry`, `assistant`, `user`, `stream_event`, and a last `result`
// line with subtype, is_error, api_error_status, num_turns, total_cost_usd, session_id). The source is the
// CLI itself (@anthropic-ai/claude-code, the version pinned in package.json), as observed running it
// headless against a stand-in Messages API; stream-json.spec.ts pins the shapes. Pure and total: a line
// that is not a JSON object (stderr text, a line cut by a crash) becomes a `raw` event instead of an
// exception, and a line longer than the cap is stored cut, with a marker saying how much was dropped.

export interface ParsedLine {
	type: string;
	data: Record<string, unknown>;
}

export interface ResultSummary {
	status: 'succeeded' | 'failed';
	subtype: string | null;
	result: string | null;
	error: string | null;
	costUsd: number | null;
	numTurns: number | null;
	durationMs: number | null;
	sessionId: string | null;
	apiErrorStatus: number | null;
	/**
	 * The line SAYS the failure is about credentials. The CLI reports a credential failure on stdout as a
	 * `result` with is_error true and a text such as `Not logged in · Please run /login`, `Invalid API key`,
	 * `… 401 OAuth token has expired` or `OAuth token revoked` (api_error_status null, 401 or 403), as the
	 * CLI printed them when run without, or with a bad, expired or revoked, credential. Informational only: a
	 * task's output is written inside its environment, so it never changes the auth state (the broker,
	 * which sees upstream's real answers, does).
	 */
	authFailure: boolean;
}

/** Parse one complete line. `cutBytes` > 0 says the line was longer than the cap and this is its head. */
export function parseLine(line: string, cutBytes = 0): ParsedLine {
	if (cutBytes > 0) return { type: 'raw', data: { text: line, truncated: true, droppedBytes: cutBytes } };
	const trimmed = line.trim();
	if (trimmed.startsWith('{')) {
		try {
			const value: unknown = JSON.parse(trimmed);
			if (value && typeof value === 'object' && !Array.isArray(value)) {
				const obj = value as Record<string, unknown>;
				const type = typeof obj.type === 'string' && /^[a-z_]{1,40}$/.test(obj.type) ? obj.type : 'unknown';
				return { type, data: obj };
			}
		} catch {
			// Not JSON after all: a raw line below.
		}
	}
	return { type: 'raw', data: { text: line } };
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

const AUTH_TEXT = /Not logged in|Invalid API key|OAuth token (has expired|revoked)|Failed to authenticate|Please run \/login|authentication_error/i;

/** What a `result` line says about the task. */
export function summarizeResult(data: Record<string, unknown>): ResultSummary {
	const isError = data.is_error === true;
	const subtype = str(data.subtype);
	const result = str(data.result);
	const errors = Array.isArray(data.errors) ? data.errors.filter((e): e is string => typeof e === 'string') : [];
	const apiErrorStatus = typeof data.api_error_status === 'number' ? data.api_error_status : null;
	const failed = isError || (subtype !== null && subtype !== 'success');
	const message = failed ? errors.join('; ') || result || subtype || 'The task failed.' : null;
	return {
		status: failed ? 'failed' : 'succeeded',
		subtype,
		result,
		error: message,
		costUsd: num(data.total_cost_usd),
		numTurns: num(data.num_turns),
		durationMs: num(data.duration_ms),
		sessionId: str(data.session_id),
		apiErrorStatus,
		authFailure: failed && (apiErrorStatus === 401 || apiErrorStatus === 403 || AUTH_TEXT.test(`${result ?? ''} ${errors.join(' ')}`))
	};
}

/** The session id an `init` line announces (so Resume works even when the task never reaches its result). */
export function sessionIdOf(parsed: ParsedLine): string | null {
	if (parsed.type === 'system' && parsed.data.subtype === 'init') return str(parsed.data.session_id);
	return null;
}

// --- Partial messages (`--include-partial-messages`) -------------------------------------------------------
// With that flag the CLI adds a `stream_event` line per SSE event of the Messages API (message_start,
// content_block_start / delta / stop, message_delta, message_stop), each with `api_message_id` and
// `parent_tool_use_id`, and a `{"type":"system","subtype":"status","status":"requesting"}` line before each
// call (seen with CLI 2.1.332). Both are transient: the completed block still arrives as an `assistant` line,
// which is what is stored. These lines are written in the environment, so they are hostile input: every field
// is checked and bounded here, and anything else is dropped (null), never thrown.

/** Largest piece of text one delta may carry (the real API sends a few tokens at a time). */
export const MAX_DELTA_CHARS = 256 * 1024;
/** Block indexes accepted (a message with more content blocks than this is not shown live past it). */
export const MAX_BLOCK_INDEX = 255;

const ID_RE = /^[A-Za-z0-9_-]{1,128}$/;
const TOOL_NAME_RE = /^[A-Za-z0-9_.:-]{1,128}$/;

export type StreamDelta =
	| { kind: 'message_start'; messageId: string; parent: string | null }
	| { kind: 'block_start'; messageId: string | null; parent: string | null; index: number; block: { type: 'text' } | { type: 'tool_use'; id: string; name: string } }
	| { kind: 'text' | 'input_json'; messageId: string | null; parent: string | null; index: number; text: string }
	| { kind: 'message_stop'; messageId: string | null; parent: string | null };

/** Lines that show progress but are not part of the transcript: not stored, only shown while they matter. */
export function isTransient(parsed: ParsedLine): boolean {
	return parsed.type === 'stream_event' || (parsed.type === 'system' && parsed.data.subtype === 'status');
}

const id = (v: unknown): string | null => (typeof v === 'string' && ID_RE.test(v) ? v : null);
const index = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_BLOCK_INDEX ? v : null);
const obj = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

/** What one `stream_event` line says, or null when it says nothing Spyre shows (or is not well-formed). */
export function parseStreamEvent(data: Record<string, unknown>): StreamDelta | null {
	const event = obj(data.event);
	if (!event || typeof event.type !== 'string') return null;
	const parent = id(data.parent_tool_use_id);
	const messageId = id(data.api_message_id);
	switch (event.type) {
		case 'message_start': {
			const started = id(obj(event.message)?.id) ?? messageId;
			return started ? { kind: 'message_start', messageId: started, parent } : null;
		}
		case 'content_block_start': {
			const i = index(event.index);
			const block = obj(event.content_block);
			if (i === null || !block) return null;
			if (block.type === 'text') return { kind: 'block_start', messageId, parent, index: i, block: { type: 'text' } };
			if (block.type === 'tool_use') {
				const toolId = id(block.id);
				const name = typeof block.name === 'string' && TOOL_NAME_RE.test(block.name) ? block.name : null;
				return toolId && name ? { kind: 'block_start', messageId, parent, index: i, block: { type: 'tool_use', id: toolId, name } } : null;
			}
			return null;
		}
		case 'content_block_delta': {
			const i = index(event.index);
			const delta = obj(event.delta);
			if (i === null || !delta) return null;
			const text = delta.type === 'text_delta' ? delta.text : delta.type === 'input_json_delta' ? delta.partial_json : null;
			if (typeof text !== 'string' || text.length === 0 || text.length > MAX_DELTA_CHARS) return null;
			return { kind: delta.type === 'text_delta' ? 'text' : 'input_json', messageId, parent, index: i, text };
		}
		case 'message_stop':
			return { kind: 'message_stop', messageId, parent };
		default:
			// message_delta (stop reason, usage), content_block_stop (the `assistant` line already said it),
			// thinking and signature deltas, and whatever a later API adds.
			return null;
	}
}
