// The live Claude authentication state machine on the Spyre host: its state (one per process), the view
// pages and events show, and transition(), the only code that changes the state: it asks the pure rules
// (state.ts) whether a move is allowed, records it as a claude_auth_log row and publishes `claude.auth`.
// The login flow (login.ts) and the stored credential (credential.ts) drive it. Never holds the secret.

import path from 'node:path';
import type { ClaudeAuthMethod, ClaudeAuthState, ClaudeAuthView } from '$lib/shared/types/claude-auth';
import { getConfig } from '../../env-config';
import { messageOf } from '../../errors';
import { publish } from '../../events';
import { singleton } from '../../singleton';
import type { LoginFlow } from './flow';
import * as authLog from './log';
import { ownerMarker } from './process';
import { credentialState, step, type AuthLogEvent } from './state';
import * as store from './store';

export interface AuthActor {
	userId?: number | null;
}

/** The one live machine. `flow`, `flowDeadline` and `timers` belong to the login in progress (login.ts). */
export interface Machine {
	state: ClaudeAuthState;
	method: ClaudeAuthMethod | null;
	lastError: string | null;
	flow: LoginFlow | null;
	flowDeadline: number | null;
	timers: NodeJS.Timeout[];
	cliVersion: string | null;
	checkedAt: number | null;
	initialized: boolean;
}

export const machine = singleton<Machine>('claude.auth', () => ({
	state: 'idle',
	method: null,
	lastError: null,
	flow: null,
	flowDeadline: null,
	timers: [],
	cliVersion: null,
	checkedAt: null,
	initialized: false
}));

/** A full login's access token is refreshed by the CLI; the CLI counts it expired 5 minutes early. */
const ACCESS_TOKEN_MARGIN_MS = 5 * 60_000;

export const dataDir = () => getConfig().server.dataDir;
export const marker = () => ownerMarker(dataDir());

/** Where a full login's CLI keeps its credentials (refresh token included). */
export function credentialsFile(): string {
	return path.join(getConfig().claude.configDir, '.credentials.json');
}

export function authStatus(): ClaudeAuthView {
	ensureLoaded();
	const meta = store.loadMeta(dataDir());
	const waiting = machine.state === 'waiting' && machine.flow;
	return {
		state: machine.state,
		method: machine.flow ? machine.flow.kind : (meta?.method ?? machine.method),
		hasCredential: meta !== null,
		expiresAt: meta?.expiresAt ?? null,
		lastError: machine.lastError,
		authorizeUrl: waiting ? (machine.flow!.printed?.url ?? null) : null,
		localhostAuthorizeUrl: waiting ? (machine.flow!.localhost?.url ?? null) : null,
		flowDeadline: machine.flow ? machine.flowDeadline : null,
		cliVersion: machine.cliVersion,
		checkedAt: machine.checkedAt
	};
}

export function authHistory(limit = 50) {
	return authLog.history(limit);
}

/** What the stored credential says the state is, without a flow. */
export function credentialView(now = Date.now()): ClaudeAuthState {
	const meta = store.loadMeta(dataDir());
	if (!meta) return 'idle';
	if (meta.health) return meta.health.state;
	// A full login's access token lasts hours and the CLI refreshes it: its expiry is not a reason to warn.
	if (meta.method === 'login') return credentialState(meta.expiresAt, now, ACCESS_TOKEN_MARGIN_MS) === 'expired' ? 'expired' : 'authenticated';
	return credentialState(meta.expiresAt, now);
}

export function ensureLoaded(): void {
	if (machine.initialized) return;
	machine.initialized = true;
	machine.state = credentialView();
	machine.method = store.loadMeta(dataDir())?.method ?? null;
}

/** Move the machine to `to` if the rules allow it: one log row and one event per move. False when refused. */
export function transition(to: ClaudeAuthState, o: { event?: AuthLogEvent; detail?: string | null; actor?: AuthActor; error?: string | null } = {}): boolean {
	ensureLoaded();
	const from = machine.state;
	const next = step({ state: from, lastError: machine.lastError }, to, o);
	if (!next) return false;
	machine.state = next.state;
	machine.lastError = next.lastError;
	authLog.append({
		event: next.event,
		fromState: from,
		toState: to,
		method: machine.flow?.kind ?? store.loadMeta(dataDir())?.method ?? null,
		userId: o.actor?.userId ?? null,
		detail: o.detail ?? null
	});
	publishView();
	return true;
}

export function publishView(): void {
	try {
		publish('claude.auth', authStatus());
	} catch (err) {
		console.error('[spyre] claude.auth event not published:', messageOf(err));
	}
}

/** After a flow ends without a new credential, fall back to what the stored one says. */
export function settle(actor?: AuthActor): void {
	const to = credentialView();
	if (to !== 'idle') transition(to, { event: 'restored', detail: 'Back to the stored credential.', actor });
}
