// The terminal WebSocket protocol (/api/terminal/:envId), shared by the browser and the server: binary
// frames carry raw terminal bytes both ways, text frames carry the small JSON control messages below.
// Pure code only: no server imports, no DOM, so both sides (and unit tests) can use it.

// Close codes, the retry rule and the backoff are shared by every live socket.
export { CLOSE, isRetryableClose, backoffDelay, type CloseCode } from './live-socket';

export const LIMITS = {
	minCols: 1,
	maxCols: 1000,
	minRows: 1,
	maxRows: 500,
	/** Larger text frames are refused before JSON.parse sees them. */
	maxControlBytes: 4096
} as const;

export const DEFAULT_SIZE = { cols: 80, rows: 24 } as const;

export interface ResizeMessage {
	type: 'resize';
	cols: number;
	rows: number;
}
export type ClientControl = ResizeMessage;

export interface WindowSummary {
	index: number;
	name: string;
	active: boolean;
	id: string;
}

export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'error';

export type ServerControl =
	| { type: 'ready'; window: number; windows?: WindowSummary[] }
	| { type: 'status'; state: ConnectionState; message?: string }
	| { type: 'exit'; code?: number }
	| { type: 'error'; code: string; message: string };

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

function clamp(n: number, lo: number, hi: number): number {
	return Math.min(hi, Math.max(lo, n));
}

/**
 * Validate one terminal dimension. Integers outside the range are clamped (a huge window or a
 * zero-sized one during layout is a normal browser event, not an attack); anything that is not a
 * finite integer is rejected.
 */
export function clampDimension(value: unknown, kind: 'cols' | 'rows'): number | null {
	const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
	if (typeof n !== 'number' || !Number.isFinite(n) || !Number.isInteger(n)) return null;
	return kind === 'cols' ? clamp(n, LIMITS.minCols, LIMITS.maxCols) : clamp(n, LIMITS.minRows, LIMITS.maxRows);
}

/** Parse a text frame from the browser. Never throws. */
export function parseClientControl(text: string): ParseResult<ClientControl> {
	if (typeof text !== 'string') return { ok: false, error: 'control message must be text' };
	// Byte length, not string length: a multi-byte flood must not slip under the limit.
	if (text.length > LIMITS.maxControlBytes || byteLength(text) > LIMITS.maxControlBytes) {
		return { ok: false, error: `control message larger than ${LIMITS.maxControlBytes} bytes` };
	}
	let data: unknown;
	try {
		data = JSON.parse(text);
	} catch {
		return { ok: false, error: 'control message is not JSON' };
	}
	if (typeof data !== 'object' || data === null || Array.isArray(data)) {
		return { ok: false, error: 'control message must be a JSON object' };
	}
	const msg = data as Record<string, unknown>;
	if (msg.type === 'resize') {
		const cols = typeof msg.cols === 'number' ? clampDimension(msg.cols, 'cols') : null;
		const rows = typeof msg.rows === 'number' ? clampDimension(msg.rows, 'rows') : null;
		if (cols === null || rows === null) {
			return { ok: false, error: 'resize needs integer cols and rows' };
		}
		return { ok: true, value: { type: 'resize', cols, rows } };
	}
	return { ok: false, error: `unknown control message type ${JSON.stringify(String(msg.type)).slice(0, 40)}` };
}

/** Parse a text frame from the server (browser side). Never throws. */
export function parseServerControl(text: string): ParseResult<ServerControl> {
	let data: unknown;
	try {
		data = JSON.parse(text);
	} catch {
		return { ok: false, error: 'control message is not JSON' };
	}
	if (typeof data !== 'object' || data === null) return { ok: false, error: 'control message must be an object' };
	const msg = data as Record<string, unknown>;
	switch (msg.type) {
		case 'ready':
			if (typeof msg.window !== 'number') break;
			return { ok: true, value: msg as unknown as ServerControl };
		case 'status':
			if (!['connecting', 'connected', 'disconnected', 'error'].includes(msg.state as string)) break;
			return { ok: true, value: msg as unknown as ServerControl };
		case 'exit':
			return { ok: true, value: { type: 'exit', code: typeof msg.code === 'number' ? msg.code : undefined } };
		case 'error':
			return {
				ok: true,
				value: { type: 'error', code: String(msg.code ?? 'error'), message: String(msg.message ?? '') }
			};
	}
	return { ok: false, error: 'unknown or malformed control message' };
}

export function encodeControl(msg: ServerControl | ClientControl): string {
	return JSON.stringify(msg);
}

/** Read `?window=&cols=&rows=` from a connect URL. Missing size falls back to 80x24; a bad value is an error. */
export function parseConnectParams(params: URLSearchParams): ParseResult<{ window: number | null; cols: number; rows: number }> {
	const w = params.get('window');
	let window: number | null = null;
	if (w !== null && w !== '') {
		if (!/^\d{1,6}$/.test(w)) return { ok: false, error: 'window must be a window index (0 or more)' };
		window = Number(w);
	}
	const c = params.get('cols');
	const r = params.get('rows');
	const cols = c === null || c === '' ? DEFAULT_SIZE.cols : clampDimension(c, 'cols');
	const rows = r === null || r === '' ? DEFAULT_SIZE.rows : clampDimension(r, 'rows');
	if (cols === null || rows === null) return { ok: false, error: 'cols and rows must be integers' };
	return { ok: true, value: { window, cols, rows } };
}

function byteLength(s: string): number {
	return new TextEncoder().encode(s).length;
}
