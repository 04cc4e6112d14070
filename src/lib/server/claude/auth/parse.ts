// Pure parsing of what the `claude` CLI prints during login and what a person pastes back: the
// authorize URL, the localhost callback port, the token line, the outcome lines, `auth status` JSON,
// and `code#state` or a failed `http://localhost:PORT/callback?...` address. Never throws on CLI
// output (it only returns null); pasted input that is wrong throws a SpyreError a person can act on.

import { isLoopbackHost } from '$lib/shared/validation/loopback';
import { SpyreError } from '../../errors';

// CSI (colours, cursor moves), OSC (titles, hyperlinks) and lone two-byte escapes: what a PTY carries.
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

export function stripAnsi(text: string): string {
	return text.replace(ANSI, '').replace(/\r/g, '');
}

const TOKEN_LIKE = /sk-ant-[a-z0-9]+-[A-Za-z0-9_-]+/gi;

/** Remove anything shaped like an Anthropic secret, so CLI output can be shown or logged. */
export function redact(text: string): string {
	return text.replace(TOKEN_LIKE, 'sk-ant-…(redacted)');
}

export interface AuthorizeUrl {
	url: string;
	state: string;
	/** The CLI's listener when the redirect goes to localhost, else null. */
	port: number | null;
}

/** Read an authorize URL: only https (or the CLI's own localhost redirect), with a `state`. */
export function parseAuthorizeUrl(raw: string): AuthorizeUrl | null {
	let url: URL;
	try {
		url = new URL(raw.trim());
	} catch {
		return null;
	}
	if (url.protocol !== 'https:' || !url.pathname.includes('/oauth/authorize')) return null;
	const state = url.searchParams.get('state');
	if (!state) return null;
	let port: number | null = null;
	const redirect = url.searchParams.get('redirect_uri');
	if (redirect && URL.canParse(redirect)) {
		const r = new URL(redirect);
		if (r.protocol === 'http:' && isCliCallbackHost(r.hostname) && r.port) port = Number(r.port);
	}
	return { url: url.toString(), state, port };
}

/** The first authorize URL in (ANSI-stripped) CLI output. */
export function findAuthorizeUrl(output: string): AuthorizeUrl | null {
	for (const m of stripAnsi(output).matchAll(/https:\/\/[^\s"'<>]+\/oauth\/authorize\?[^\s"'<>]+/g)) {
		const parsed = parseAuthorizeUrl(m[0]);
		if (parsed) return parsed;
	}
	return null;
}

export interface IssuedToken {
	token: string;
	/** From "(valid for 1 year)"; null when the wording is not understood. */
	validForMs: number | null;
}

/** setup-token's `Your OAuth token (valid for 1 year): sk-ant-oat01-…` line. */
export function findToken(output: string): IssuedToken | null {
	const m = /Your OAuth token(?: \(valid for ([^)]+)\))?:\s*(sk-ant-oat\d+-[A-Za-z0-9_-]+)/.exec(stripAnsi(output));
	if (!m) return null;
	return { token: m[2], validForMs: m[1] ? durationMs(m[1]) : null };
}

const UNIT_MS: Record<string, number> = {
	minute: 60_000,
	hour: 3_600_000,
	day: 86_400_000,
	week: 7 * 86_400_000,
	month: 30 * 86_400_000,
	year: 365 * 86_400_000
};

/** "1 year", "30 days", "an hour" → milliseconds; null if not understood. */
export function durationMs(text: string): number | null {
	const m = /^\s*(\d+|an?|one)\s+(minute|hour|day|week|month|year)s?\s*$/i.exec(text);
	if (!m) return null;
	const n = /^\d+$/.test(m[1]) ? Number(m[1]) : 1;
	return n * UNIT_MS[m[2].toLowerCase()];
}

export type CliOutcome = { kind: 'success' } | { kind: 'failed'; message: string } | { kind: 'invalid_code' };

/** Outcome lines of `auth login` / `setup-token`, newest last; null while nothing decisive was printed. */
export function findOutcome(output: string): CliOutcome | null {
	const text = stripAnsi(output);
	const failed = /Login failed:\s*([^\n]*)/.exec(text);
	if (failed) return { kind: 'failed', message: redact(failed[1].trim()) || 'the CLI did not say why' };
	if (/Login successful\./.test(text) || findToken(text)) return { kind: 'success' };
	if (/Invalid code\. Please make sure the full code was copied\./.test(text)) return { kind: 'invalid_code' };
	return null;
}

/** The last non-empty line of output, redacted and shortened: for error messages about a CLI that died. */
export function lastLine(output: string): string {
	const lines = stripAnsi(output)
		.split('\n')
		.map((l) => l.trim())
		.filter(Boolean);
	const last = lines.at(-1) ?? '';
	return redact(last).slice(0, 300);
}

export interface AuthStatus {
	loggedIn: boolean;
	authMethod: string;
}

/** `claude auth status` prints a JSON object (exit 1 when logged out). */
export function parseAuthStatus(stdout: string): AuthStatus | null {
	const start = stdout.indexOf('{');
	const end = stdout.lastIndexOf('}');
	if (start < 0 || end < start) return null;
	try {
		const v = JSON.parse(stdout.slice(start, end + 1)) as Record<string, unknown>;
		if (typeof v.loggedIn !== 'boolean') return null;
		return { loggedIn: v.loggedIn, authMethod: typeof v.authMethod === 'string' ? v.authMethod : 'unknown' };
	} catch {
		return null;
	}
}

/** The OAuth part of `.credentials.json` of a full login: only the access token and its expiry. */
export function parseCredentialsFile(text: string): { accessToken: string; expiresAt: number | null } | null {
	try {
		const v = JSON.parse(text) as { claudeAiOauth?: { accessToken?: unknown; expiresAt?: unknown } };
		const o = v.claudeAiOauth;
		if (!o || typeof o.accessToken !== 'string' || !o.accessToken) return null;
		return { accessToken: o.accessToken, expiresAt: typeof o.expiresAt === 'number' ? o.expiresAt : null };
	} catch {
		return null;
	}
}

/**
 * The CLI's callback host, as URL.hostname gives it. Narrower than isLoopbackHost on purpose: the CLI's
 * redirect_uri names `localhost` and it listens on 127.0.0.1 / ::1, so an address under another loopback
 * name (127.0.0.2, x.localhost) is not the CLI's and is refused rather than relayed to the CLI's port.
 */
export function isCliCallbackHost(host: string): boolean {
	return isLoopbackHost(host) && (host === 'localhost' || host === '127.0.0.1' || host === '[::1]');
}

export const MAX_PASTE = 8192;

export type Paste = { kind: 'code'; code: string; state: string } | { kind: 'callback'; port: number; code: string; state: string };

// OAuth codes and states are URL-safe tokens; anything else (spaces, quotes, control bytes) is a mistake.
const CODE_CHARS = /^[A-Za-z0-9._~+/=-]+$/;

/**
 * What a person pasted: `code#state` from Anthropic's page, or the localhost address their browser could
 * not open. Only the structure is checked here; whether the state and port belong to the pending flow
 * is the caller's business.
 */
export function parsePaste(input: string): Paste {
	if (input.length > MAX_PASTE) {
		throw new SpyreError('payload_too_large', `That is ${input.length} characters; a code or callback address is well under ${MAX_PASTE}.`, { fields: { code: 'Too long to be a code.' } });
	}
	const text = input.trim();
	if (!text) throw new SpyreError('validation', 'Paste the code from the sign-in page first.', { fields: { code: 'Required.' } });
	if (/^https?:\/\//i.test(text)) return parseCallbackAddress(text);
	const hash = text.indexOf('#');
	if (hash < 0) {
		throw new SpyreError('validation', 'That is not the full code: it should look like CODE#STATE (copy it with the button on the sign-in page).', {
			fields: { code: 'Missing the #STATE part.' }
		});
	}
	const code = text.slice(0, hash);
	const state = text.slice(hash + 1);
	if (!CODE_CHARS.test(code) || !CODE_CHARS.test(state)) {
		throw new SpyreError('validation', 'That does not look like a sign-in code: it should look like CODE#STATE.', { fields: { code: 'Unexpected characters.' } });
	}
	return { kind: 'code', code, state };
}

function parseCallbackAddress(text: string): Paste {
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		throw new SpyreError('validation', 'That address could not be read.', { fields: { code: 'Not a valid address.' } });
	}
	if (url.protocol !== 'http:' || !isCliCallbackHost(url.hostname) || !url.port || url.pathname !== '/callback') {
		throw new SpyreError('validation', 'Only the http://localhost:PORT/callback?… address of this sign-in can be relayed.', {
			fields: { code: "Not the CLI's localhost callback." }
		});
	}
	const code = url.searchParams.get('code') ?? '';
	const state = url.searchParams.get('state') ?? '';
	if (!CODE_CHARS.test(code) || !CODE_CHARS.test(state)) {
		throw new SpyreError('validation', 'That address has no code and state in it.', { fields: { code: 'Missing code or state.' } });
	}
	return { kind: 'callback', port: Number(url.port), code, state };
}
