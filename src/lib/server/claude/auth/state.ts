// The authentication state machine, pure: which transitions are allowed, which log event each one is,
// and what a stored credential's expiry means today. machine.ts holds the one live instance; this module
// never touches a process, a file or the database.

import type { ClaudeAuthState } from '$lib/shared/types/claude-auth';
import { redact } from './parse';

/** A login flow is running (the CLI is alive). */
export const FLOW_STATES: ReadonlySet<ClaudeAuthState> = new Set(['starting', 'waiting', 'verifying']);
/** States with a stored credential that may still work. */
export const CREDENTIAL_STATES: ReadonlySet<ClaudeAuthState> = new Set(['authenticated', 'expiring', 'expired']);

/** Names allowed in claude_auth_log.event (migration 004 keeps this list in its CHECK). */
export const AUTH_LOG_EVENTS = [
	'login_started',
	'url_captured',
	'code_submitted',
	'code_rejected',
	'login_succeeded',
	'login_failed',
	'login_cancelled',
	'login_timed_out',
	'api_key_saved',
	'health_ok',
	'health_failed',
	'credential_expiring',
	'credential_expired',
	'task_auth_failed',
	'restored',
	'orphan_killed',
	'logout'
] as const;
export type AuthLogEvent = (typeof AUTH_LOG_EVENTS)[number];

const SETTLED_TARGETS: ReadonlySet<ClaudeAuthState> = new Set(['starting', 'authenticated', 'expiring', 'expired', 'failed', 'idle']);

const ALLOWED: Record<ClaudeAuthState, ReadonlySet<ClaudeAuthState>> = {
	idle: SETTLED_TARGETS,
	authenticated: SETTLED_TARGETS,
	expiring: SETTLED_TARGETS,
	expired: SETTLED_TARGETS,
	failed: SETTLED_TARGETS,
	cancelled: SETTLED_TARGETS,
	starting: new Set(['waiting', 'failed', 'cancelled']),
	waiting: new Set(['verifying', 'failed', 'cancelled']),
	// A code the CLI refuses sends the flow back to waiting for another paste.
	verifying: new Set(['waiting', 'authenticated', 'expiring', 'expired', 'failed', 'cancelled'])
};

export function canTransition(from: ClaudeAuthState, to: ClaudeAuthState): boolean {
	return from !== to && ALLOWED[from].has(to);
}

export const DAY_MS = 24 * 3600 * 1000;
/** "expiring" starts this long before the expiry, so a person has time to act. */
export const EXPIRING_WINDOW_MS = 7 * DAY_MS;

/**
 * What a credential's expiry means at `now`. `marginMs` treats a token as expired slightly early (the CLI
 * counts an access token as expired 5 minutes before its `expiresAt`).
 */
export function credentialState(expiresAt: number | null, now: number, marginMs = 0): 'authenticated' | 'expiring' | 'expired' {
	if (expiresAt === null) return 'authenticated';
	if (expiresAt - marginMs <= now) return 'expired';
	if (expiresAt - now <= EXPIRING_WINDOW_MS) return 'expiring';
	return 'authenticated';
}

/** The log event that names a transition, when the caller did not pick a more specific one. */
export function defaultEvent(from: ClaudeAuthState, to: ClaudeAuthState): AuthLogEvent {
	switch (to) {
		case 'starting':
			return 'login_started';
		case 'waiting':
			return from === 'verifying' ? 'code_rejected' : 'url_captured';
		case 'verifying':
			return 'code_submitted';
		case 'authenticated':
			return from === 'verifying' ? 'login_succeeded' : from === 'cancelled' || from === 'failed' ? 'restored' : 'health_ok';
		case 'expiring':
			return from === 'verifying' ? 'login_succeeded' : 'credential_expiring';
		case 'expired':
			return 'credential_expired';
		case 'failed':
			return FLOW_STATES.has(from) ? 'login_failed' : 'health_failed';
		case 'cancelled':
			return 'login_cancelled';
		case 'idle':
			return 'logout';
	}
}

/**
 * One move of the machine, decided: the next state, the error to show (an explicit `null` clears it,
 * leaving it out keeps the last one; text is redacted) and the log event. Null when the move is not allowed.
 */
export function step(
	from: { state: ClaudeAuthState; lastError: string | null },
	to: ClaudeAuthState,
	o: { event?: AuthLogEvent; error?: string | null } = {}
): { state: ClaudeAuthState; lastError: string | null; event: AuthLogEvent } | null {
	if (!canTransition(from.state, to)) return null;
	const lastError = o.error === undefined ? from.lastError : o.error === null ? null : redact(o.error);
	return { state: to, lastError, event: o.event ?? defaultEvent(from.state, to) };
}
