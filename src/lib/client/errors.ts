// How a failed browser action becomes one line for a person. Pure, so the rules are testable: aborted
// requests (navigation away, a superseded search) are nobody's failure and yield null; ApiError carries
// the server's own message; anything else gets a plain sentence, never a stack or an exception's text.

import { ApiError } from './api';

/** True for a fetch or stream aborted on purpose (AbortController, navigation). */
export function isAbort(err: unknown): boolean {
	if (typeof err !== 'object' || err === null) return false;
	const name = (err as { name?: unknown }).name;
	return name === 'AbortError' || (err instanceof ApiError && err.code === 'aborted');
}

/**
 * The message to show for a failed action, or null when nothing should be shown. `context` names what
 * was being done or to what ("api-dev", "Starting api-dev") and prefixes the message.
 */
export function describeError(err: unknown, context?: string): string | null {
	if (isAbort(err)) return null;
	const message = errorMessage(err);
	return context ? `${context}: ${message}` : message;
}

/** The fallback for a request that got no answer from Spyre (network down, server restarting). */
export const REQUEST_FAILED = 'The request failed; check the connection and try again.';

/**
 * The line for a failed action shown beside it (a form's or a panel's own error): the server's message,
 * else `fallback`, which says in plain words what did not happen.
 */
export function errorMessage(err: unknown, fallback = 'Something went wrong. Try again.'): string {
	if (err instanceof ApiError) return err.message;
	if (typeof err === 'string' && err.trim()) return err;
	return fallback;
}
