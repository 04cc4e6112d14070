// The stored Claude credential, as the owner and the rest of Spyre see it: save an API key (checked with
// upstream first), sign out, hand one task its credential, take the broker's report of a real rejection,
// and what the health check reads and applies. The secret itself stays in store.ts; this module only
// passes it to getTaskCredential()'s callers and to upstream's free check.

import fs from 'node:fs';
import type { ClaudeAuthState, ClaudeAuthView } from '$lib/shared/types/claude-auth';
import { SpyreError } from '../../errors';
import { checkCredential, rejectionMessage } from '../broker/upstream';
import * as authLog from './log';
import { authStatus, credentialView, credentialsFile, dataDir, ensureLoaded, machine, publishView, transition, type AuthActor } from './machine';
import { parseCredentialsFile } from './parse';
import { FLOW_STATES, credentialState } from './state';
import * as store from './store';
import { announce, reauthNotice } from '../../notify/notices';

const API_KEY = /^sk-ant-[A-Za-z0-9]+-[A-Za-z0-9_-]{16,500}$/;

export async function saveApiKey(key: string, actor: AuthActor = {}): Promise<ClaudeAuthView> {
	ensureLoaded();
	if (machine.flow) throw new SpyreError('conflict', 'Cancel the sign-in in progress before saving an API key.');
	const value = key.trim();
	if (!API_KEY.test(value)) {
		throw new SpyreError('validation', 'That does not look like an Anthropic API key (sk-ant-…).', { fields: { apiKey: 'Expected sk-ant-….' } });
	}
	store.save(dataDir(), { method: 'api_key', kind: 'api_key', value, expiresAt: null });
	machine.method = 'api_key';
	// Checked once against upstream before it may say "Authenticated"; until then it is not usable.
	store.setHealth(dataDir(), { state: 'failed', error: 'The API key has not been checked with Anthropic yet.', at: Date.now() });
	const check = await checkCredential({ kind: 'api_key', value });
	if (check.ok) {
		store.setHealth(dataDir(), null);
		if (!transition('authenticated', { event: 'api_key_saved', actor, error: null, detail: 'API key stored (encrypted) and accepted by Anthropic.' })) {
			authLog.append({
				event: 'api_key_saved',
				fromState: machine.state,
				toState: machine.state,
				method: 'api_key',
				userId: actor.userId ?? null,
				detail: 'API key replaced (encrypted) and accepted by Anthropic.'
			});
			machine.lastError = null;
			publishView();
		}
	} else {
		store.setHealth(dataDir(), { state: 'failed', error: check.message, at: Date.now() });
		if (!transition('failed', { event: 'api_key_saved', actor, error: check.message, detail: `API key stored (encrypted); ${check.message}` })) {
			authLog.append({ event: 'api_key_saved', fromState: machine.state, toState: machine.state, method: 'api_key', userId: actor.userId ?? null, detail: `API key replaced; ${check.message}` });
			machine.lastError = check.message;
			publishView();
		}
	}
	return authStatus();
}

/** Forget the credential (and a full login's CLI credentials file, refresh token included). */
export function signOut(actor: AuthActor = {}): ClaudeAuthView {
	ensureLoaded();
	if (machine.flow) throw new SpyreError('conflict', 'Cancel the sign-in in progress first.');
	store.forget(dataDir());
	fs.rmSync(credentialsFile(), { force: true });
	machine.method = null;
	transition('idle', { event: 'logout', actor, error: null, detail: 'Credential forgotten.' });
	return authStatus();
}

/** The credential the broker adds to a task's calls (or, with the owner's opt-in, injects). */
export type TaskCredential = { kind: store.CredentialKind; value: string };

/** Server-only: the secret for one task's environment. Null unless the state says it may work. */
export function getTaskCredential(): TaskCredential | null {
	ensureLoaded();
	// A re-authentication in progress (or one that failed) leaves the stored credential usable.
	const meta = store.loadMeta(dataDir());
	if (!meta || meta.health || credentialView() === 'expired') return null;
	return store.readSecret(dataDir());
}

/**
 * The broker saw upstream's real 401/403 for the credential it used: the one way a task's call changes
 * the global state (nothing a task writes can). A 403 counts only when its message is about the
 * credential (a 403 for a model the account may not use is not a rejection). Ignored when the stored
 * credential changed meanwhile.
 */
export function reportUpstreamRejection(used: TaskCredential, status: number, body: string): void {
	ensureLoaded();
	const meta = store.loadMeta(dataDir());
	if (!meta || store.readSecret(dataDir())?.value !== used.value) return;
	let said: string;
	try {
		said = String((JSON.parse(body) as { error?: { message?: unknown } }).error?.message ?? '');
	} catch {
		said = '';
	}
	if (status === 403 && !/token|key|revoked|authenticat|credential/i.test(said)) return;
	markRejected(used.kind, rejectionMessage(used.kind, status), 'The broker saw Anthropic refuse the credential.');
}

/** Record a rejected credential (kept across restarts) and move the state, with the owner's message. */
function markRejected(kind: 'oauth_token' | 'api_key', message: string, detail: string): void {
	const to = kind === 'api_key' ? 'failed' : 'expired';
	// Told once per rejection: the health check repeats it every minute while it lasts.
	const alreadyKnown = store.loadMeta(dataDir())?.health != null;
	store.setHealth(dataDir(), { state: to, error: message, at: Date.now() });
	if (!alreadyKnown) announce(reauthNotice(message));
	if (machine.flow || !transition(to, { detail: `${detail} ${message}`, error: message })) {
		machine.lastError = message;
		publishView();
	}
}

/** Why tasks cannot use the credential right now, in the owner's words (null: they can). */
export function credentialProblem(): string | null {
	ensureLoaded();
	const meta = store.loadMeta(dataDir());
	if (!meta) return 'Claude is not connected: authenticate in Settings → Claude first.';
	if (meta.health) return `Claude cannot run tasks: ${meta.health.error}`;
	if (credentialView() === 'expired') return 'The stored Claude credential has expired: sign in again in Settings → Claude.';
	return null;
}

/** A full login's credentials as the CLI stores them, or null when there are none (or unreadable). */
export function readCliCredentials(): ReturnType<typeof parseCredentialsFile> {
	let text: string;
	try {
		text = fs.readFileSync(credentialsFile(), 'utf8');
	} catch {
		return null;
	}
	return parseCredentialsFile(text);
}

/** Apply what a health check found. `found` is null when the check could not tell. */
export function applyHealth(found: { state: 'authenticated' | 'expiring' | 'expired' | 'failed'; detail: string } | null, cli: { version: string | null }): void {
	ensureLoaded();
	machine.checkedAt = Date.now();
	if (cli.version) machine.cliVersion = cli.version;
	if (!found || machine.flow || FLOW_STATES.has(machine.state)) return;
	if (found.state === machine.state) return;
	if (found.state === 'failed' || found.state === 'expired') store.setHealth(dataDir(), { state: found.state, error: found.detail, at: Date.now() });
	transition(found.state, { detail: found.detail, error: found.state === 'failed' || found.state === 'expired' ? found.detail : undefined });
}

/** For the health check: the current stored credential and state (no secret). */
export function healthInputs(): { meta: store.CredentialMeta | null; state: ClaudeAuthState; busy: boolean } {
	ensureLoaded();
	return { meta: store.loadMeta(dataDir()), state: machine.state, busy: machine.flow !== null };
}

/**
 * For the health check: ask upstream whether the stored API key or token works (a free call). Clears a
 * rejection when it does, records one when upstream refuses; returns null when it could not tell.
 */
export async function recheckCredential(): Promise<{ state: 'authenticated' | 'expiring' | 'expired' | 'failed'; detail: string } | null> {
	const secret = store.readSecret(dataDir());
	const meta = store.loadMeta(dataDir());
	if (!secret || !meta || meta.method === 'login') return null;
	const check = await checkCredential(secret);
	if (store.readSecret(dataDir())?.value !== secret.value) return null;
	if (check.ok) {
		if (meta.health) store.setHealth(dataDir(), null);
		const state = credentialState(meta.expiresAt, Date.now());
		return { state, detail: 'Anthropic accepted the stored credential.' };
	}
	// An API key is refused by /v1/models exactly when it is refused by the Messages API. Whether an OAuth
	// token may list models is not something Spyre relies on: for it, only the broker's real 401/403 on a
	// Messages call sets a rejection; this check only clears one.
	if (check.rejected && secret.kind === 'api_key') {
		markRejected(secret.kind, check.message, 'The health check saw Anthropic refuse the credential.');
		return null;
	}
	// Upstream could not tell: a recorded rejection stands; otherwise the stored expiry decides.
	if (meta.health) return { state: meta.health.state, detail: meta.health.error };
	return { state: credentialState(meta.expiresAt, Date.now()), detail: `The stored credential's expiry (upstream not reachable: ${check.message})` };
}

/** For the health check of a full login: refresh the stored access token from the CLI's file. */
export function refreshFromCliFile(): void {
	const meta = store.loadMeta(dataDir());
	if (meta?.method !== 'login') return;
	const creds = readCliCredentials();
	const current = store.readSecret(dataDir());
	if (creds && (creds.accessToken !== current?.value || creds.expiresAt !== meta.expiresAt)) {
		store.save(dataDir(), { method: 'login', kind: 'oauth_token', value: creds.accessToken, expiresAt: creds.expiresAt });
	}
}
