// Helpers that keep routes thin: map SpyreError to JSON `{error, code}` with the right status, read a
// bounded JSON body, and require a signed-in user. What an error means (expected, or a 500 with an error
// id) is decided by error-funnel.ts.

import { json, type RequestEvent } from '@sveltejs/kit';
import { SpyreError, codeForStatus } from './errors';
import { judgeError, type ErrorContext } from './error-funnel';
import type { SessionUser } from './auth';
import type { AuditActor } from './audit';

/** JSON `{error, code, fields?}`; an unexpected error answers 500 with its error id in the message. */
export function errorResponse(err: unknown, context: ErrorContext = {}): Response {
	const judged = judgeError(err, context);
	if (!judged.expected) {
		return json({ error: `${judged.message.replace(/\.$/, '')} (error id ${judged.errorId}).`, code: 'internal', errorId: judged.errorId }, { status: 500 });
	}
	const body: Record<string, unknown> = { error: judged.message, code: judged.code ?? codeForStatus(judged.status) };
	if (judged.fields) body.fields = judged.fields;
	return json(body, { status: judged.status });
}

/** Run a JSON API handler, turning thrown errors into `{error, code}` responses. */
export async function api(fn: () => Promise<Response> | Response): Promise<Response> {
	try {
		return await fn();
	} catch (err) {
		return errorResponse(err);
	}
}

export function requireUser(event: Pick<RequestEvent, 'locals'>): SessionUser {
	const user = event.locals.user;
	if (!user) throw new SpyreError('unauthenticated', 'Sign in first.');
	return user;
}

export function actorOf(event: Pick<RequestEvent, 'locals' | 'getClientAddress'>): AuditActor {
	return {
		userId: event.locals.user?.id ?? null,
		username: event.locals.user?.username ?? null,
		ip: safeClientAddress(event)
	};
}

export function safeClientAddress(event: Pick<RequestEvent, 'getClientAddress'>): string {
	try {
		return event.getClientAddress();
	} catch {
		return 'unknown';
	}
}

/**
 * Past this, an oversized body is refused without reading it. Below it, the body is read and dropped first:
 * a 413 sent while the client is still sending makes Node close a socket with unread data, which the
 * client sees as a reset (ECONNRESET) instead of the 413 and its message.
 */
const DRAIN_LIMIT_BYTES = 1024 * 1024;

async function refuseOversized(request: Request, declared: number, message: string): Promise<never> {
	if (declared <= DRAIN_LIMIT_BYTES && request.body) {
		let read = 0;
		try {
			for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
				read += chunk.byteLength;
				if (read > DRAIN_LIMIT_BYTES) break;
			}
		} catch {
			// The client went away or adapter-node's own size limit stopped the stream: the 413 stands.
		}
	}
	throw new SpyreError('payload_too_large', message);
}

/** Read a JSON object body of at most `maxBytes`. Malformed or oversized bodies are a clear 4xx. */
export async function readJsonBody(request: Request, maxBytes = 64 * 1024): Promise<Record<string, unknown>> {
	// Only JSON bodies: a cross-site HTML form cannot send this content type without a CORS preflight.
	const type = (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
	if (type !== 'application/json') throw new SpyreError('bad_request', 'Send the request body as JSON (Content-Type: application/json).');
	const declared = Number(request.headers.get('content-length') ?? '0');
	if (declared > maxBytes) await refuseOversized(request, declared, `The request body is larger than ${maxBytes} bytes.`);
	const text = await request.text();
	if (Buffer.byteLength(text) > maxBytes) throw new SpyreError('payload_too_large', `The request body is larger than ${maxBytes} bytes.`);
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		throw new SpyreError('bad_request', 'The request body is not valid JSON.');
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw new SpyreError('bad_request', 'The request body must be a JSON object.');
	}
	return value as Record<string, unknown>;
}

/** Read a small form post; malformed or oversized posts become SpyreErrors instead of stack traces. */
export async function readForm(request: Request, maxBytes = 16 * 1024): Promise<FormData> {
	const declared = Number(request.headers.get('content-length') ?? '0');
	if (declared > maxBytes) await refuseOversized(request, declared, 'The form is too large.');
	try {
		return await request.formData();
	} catch {
		throw new SpyreError('bad_request', 'The form could not be read. Reload the page and try again.');
	}
}

export function formString(form: FormData, name: string, maxLength = 1024): string {
	const value = form.get(name);
	if (typeof value !== 'string') return '';
	return value.slice(0, maxLength);
}

/**
 * A post-login redirect target: a path on this origin. Judged by the browser's own URL rules, which drop
 * tabs and newlines and read `\` as `/`, so `/<TAB>/evil.example` or `/\evil` cannot turn into `//evil`;
 * control characters and backslashes are refused outright. Answers the normalised path, never the input.
 */
export function safeNext(next: string | null): string {
	if (!next || next.length > 2048 || !next.startsWith('/')) return '/';
	if (/[\u0000-\u001f\u007f-\u009f\\]/.test(next)) return '/';
	const base = 'http://spyre.invalid';
	let url: URL;
	try {
		url = new URL(next, base);
	} catch {
		return '/';
	}
	if (url.origin !== base || !url.pathname.startsWith('/') || url.pathname.startsWith('//')) return '/';
	return url.pathname + url.search + url.hash;
}
