// The one place that decides what a thrown value means for the person who sees it, for JSON routes
// (http.ts `errorResponse`) and pages (hooks.server.ts `handleError`) alike:
// - expected: a SpyreError other than `internal` (its message is written for the user), SvelteKit's
//   `error()`, or a status below 500 that SvelteKit decided (a page that does not exist, a wrong method).
//   No error id, nothing logged: the answer itself says what happened.
// - unexpected: anything else, a bug. One error id is minted and the stack is logged once with it; the
//   user sees only the id, which points into that log line.

import { isHttpError } from '@sveltejs/kit';
import crypto from 'node:crypto';
import { isSpyreError, type SpyreErrorCode } from './errors';

export type ErrorJudgement =
	{ expected: true; status: number; message: string; code?: SpyreErrorCode; fields?: Record<string, string> } | { expected: false; status: 500; message: string; errorId: string };

export interface ErrorContext {
	/** e.g. `GET /api/environments`, for the log line. */
	where?: string;
	/** The status and message SvelteKit chose, when it calls handleError. */
	kit?: { status: number; message: string };
}

export const UNEXPECTED_MESSAGE = 'Something went wrong on the server.';

export function judgeError(err: unknown, context: ErrorContext = {}, log: (...args: unknown[]) => void = console.error): ErrorJudgement {
	// `internal` marks a broken assumption in Spyre's own code: a bug like any other throw.
	if (isSpyreError(err) && err.code !== 'internal') return { expected: true, status: err.status, message: err.message, code: err.code, fields: err.fields };
	if (isHttpError(err)) return { expected: true, status: err.status, message: err.body.message };
	const kit = context.kit;
	if (kit && kit.status < 500) return { expected: true, status: kit.status, message: kit.status === 404 ? 'Not found' : kit.message };
	const errorId = crypto.randomUUID().slice(0, 8);
	const where = context.where ? ` on ${context.where}` : '';
	log(`[spyre] error ${errorId}${where}:`, err instanceof Error ? (err.stack ?? err.message) : err);
	return { expected: false, status: 500, message: UNEXPECTED_MESSAGE, errorId };
}
