// Reading the CLI's stream-json lines (facts in shared/docs/CLAUDE-CODE.md). Pure and total: a line that is
// not a JSON object (stderr text, a line cut by a crash) becomes a `raw` event instead of an exception,
// and a line longer than the cap is stored cut, with a marker saying how much was dropped.

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
	 * The line SAYS the failure is about credentials (the table in CLAUDE-CODE.md). Informational only: a
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
	const message = failed ? (errors.join('; ') || result || subtype || 'The task failed.') : null;
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
