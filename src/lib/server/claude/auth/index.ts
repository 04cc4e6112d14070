// Claude Code authentication on the Spyre host: the one live state machine (idle → starting → waiting →
// verifying → authenticated / expiring / expired, or failed / cancelled), the login flow it drives, the
// relay of a pasted code or callback to the CLI, and the credential's owner-facing API. Every transition
// is a claude_auth_log row and a `claude.auth` event. Never returns, logs or publishes the credential:
// only getTaskCredential() hands it to server code that injects it into one task.

import fs from 'node:fs';
import path from 'node:path';
import type { ClaudeAuthMethod, ClaudeAuthState, ClaudeAuthView, ClaudeLoginFlow } from '$lib/types/claude-auth';
import { getConfig } from '../../env-config';
import { SpyreError, messageOf } from '../../errors';
import { publish } from '../../events';
import { singleton } from '../../singleton';
import * as authLog from './log';
import { findOutcome, findToken, lastLine, parseCredentialsFile, parsePaste, redact } from './parse';
import { findExecutable, killMarked, ownerMarker } from './process';
import { relayToListener } from './relay';
import { authSettings } from './settings';
import { FLOW_STATES, canTransition, credentialState, defaultEvent, type AuthLogEvent } from './state';
import * as store from './store';
import { LoginFlow, flowWorkDir } from './flow';
import { checkCredential, rejectionMessage } from '../broker/upstream';
import { announce, reauthNotice } from '../../notify/notices';

export interface AuthActor {
	userId?: number | null;
}

interface Machine {
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

const m = singleton<Machine>('claude.auth', () => ({
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

const dataDir = () => getConfig().server.dataDir;
const marker = () => ownerMarker(dataDir());

// ---------------------------------------------------------------------------------------------------
// State

export function authStatus(): ClaudeAuthView {
	ensureLoaded();
	const meta = store.loadMeta(dataDir());
	const waiting = m.state === 'waiting' && m.flow;
	return {
		state: m.state,
		method: m.flow ? m.flow.kind : (meta?.method ?? m.method),
		hasCredential: meta !== null,
		expiresAt: meta?.expiresAt ?? null,
		lastError: m.lastError,
		authorizeUrl: waiting ? (m.flow!.printed?.url ?? null) : null,
		localhostAuthorizeUrl: waiting ? (m.flow!.localhost?.url ?? null) : null,
		flowDeadline: m.flow ? m.flowDeadline : null,
		cliVersion: m.cliVersion,
		checkedAt: m.checkedAt
	};
}

export function authHistory(limit = 50) {
	return authLog.history(limit);
}

/** What the stored credential says the state is, without a flow. */
function credentialView(now = Date.now()): ClaudeAuthState {
	const meta = store.loadMeta(dataDir());
	if (!meta) return 'idle';
	if (meta.health) return meta.health.state;
	// A full login's access token lasts hours and the CLI refreshes it: its expiry is not a reason to warn.
	if (meta.method === 'login') return credentialState(meta.expiresAt, now, ACCESS_TOKEN_MARGIN_MS) === 'expired' ? 'expired' : 'authenticated';
	return credentialState(meta.expiresAt, now);
}

function ensureLoaded(): void {
	if (m.initialized) return;
	m.initialized = true;
	m.state = credentialView();
	m.method = store.loadMeta(dataDir())?.method ?? null;
}

function transition(to: ClaudeAuthState, o: { event?: AuthLogEvent; detail?: string | null; actor?: AuthActor; error?: string | null } = {}): boolean {
	ensureLoaded();
	const from = m.state;
	if (!canTransition(from, to)) return false;
	m.state = to;
	if (o.error !== undefined) m.lastError = o.error === null ? null : redact(o.error);
	authLog.append({
		event: o.event ?? defaultEvent(from, to),
		fromState: from,
		toState: to,
		method: m.flow?.kind ?? store.loadMeta(dataDir())?.method ?? null,
		userId: o.actor?.userId ?? null,
		detail: o.detail ?? null
	});
	publishView();
	return true;
}

function publishView(): void {
	try {
		publish('claude.auth', authStatus());
	} catch (err) {
		console.error('[spyre] claude.auth event not published:', messageOf(err));
	}
}

/** After a flow ends without a new credential, fall back to what the stored one says. */
function settle(actor?: AuthActor): void {
	const to = credentialView();
	if (to !== 'idle') transition(to, { event: 'restored', detail: 'Back to the stored credential.', actor });
}

// ---------------------------------------------------------------------------------------------------
// Login flow

export function startLogin(kind: ClaudeLoginFlow, actor: AuthActor = {}): ClaudeAuthView {
	ensureLoaded();
	if (m.flow) throw new SpyreError('conflict', 'A sign-in is already in progress: finish or cancel it first.');
	const cfg = getConfig();
	killMarked(marker());
	if (!transition('starting', { actor, error: null, detail: kind === 'setup_token' ? 'claude setup-token' : 'claude auth login' })) {
		throw new SpyreError('conflict', `Cannot start a sign-in while ${m.state}.`);
	}
	if (!findExecutable(cfg.claude.cliPath)) {
		// node-pty would fork first and fail in the child, with nothing to show; say what to fix instead.
		const error = spawnError(new Error('ENOENT'), cfg.claude.cliPath);
		transition('failed', { error, detail: error });
		settle();
		throw new SpyreError('config', error);
	}
	let flow: LoginFlow;
	try {
		flow = new LoginFlow(
			{ kind, cliPath: cfg.claude.cliPath, configDir: cfg.claude.configDir, workDir: flowWorkDir(cfg.server.dataDir), marker: marker() },
			{
				onUrl: () => {
					if (m.flow !== flow) return;
					m.flowDeadline = flow.startedAt + authSettings.loginTimeoutMs();
					transition('waiting', { detail: flow.port ? `The CLI listens on localhost port ${flow.port}.` : null });
				},
				onInvalidCode: () => {
					if (m.flow === flow && m.state === 'verifying') {
						transition('waiting', { detail: 'The CLI said the code was incomplete.', error: 'The CLI said that was not the full code. Copy it again with the button on the sign-in page.' });
					}
				},
				onExit: (code) => finishFlow(flow, code)
			}
		);
	} catch (err) {
		const error = spawnError(err, cfg.claude.cliPath);
		transition('failed', { error, detail: error });
		settle();
		throw new SpyreError('config', error);
	}
	m.flow = flow;
	m.method = kind;
	m.flowDeadline = flow.startedAt + authSettings.loginTimeoutMs();
	m.timers.push(
		setTimeout(() => {
			if (m.flow === flow && m.state === 'starting') void endFlow(flow, 'failed', 'login_failed', `The CLI printed no sign-in address within ${human(authSettings.startTimeoutMs())}: ${lastLine(flow.text()) || 'no output'}`);
		}, authSettings.startTimeoutMs()),
		setTimeout(() => {
			if (m.flow === flow) void endFlow(flow, 'cancelled', 'login_timed_out', `Nobody finished the sign-in within ${human(authSettings.loginTimeoutMs())}, so it was cancelled.`);
		}, authSettings.loginTimeoutMs())
	);
	for (const t of m.timers) t.unref();
	return authStatus();
}

function human(ms: number): string {
	return ms >= 60_000 ? `${Math.round(ms / 60_000)} minutes` : `${Math.round(ms / 1000)} seconds`;
}

function spawnError(err: unknown, cliPath: string): string {
	const msg = messageOf(err);
	if (/ENOENT|not found|no such file/i.test(msg)) return `The claude CLI was not found at "${cliPath}" on the Spyre host (claude.cli_path in environment.yaml).`;
	return `The claude CLI could not be started: ${redact(msg)}`;
}

function clearTimers(): void {
	for (const t of m.timers) clearTimeout(t);
	m.timers = [];
}

/** Stop a flow: kill its process group and any orphan, record why. */
async function endFlow(flow: LoginFlow, to: 'cancelled' | 'failed', event: AuthLogEvent, message: string, actor?: AuthActor): Promise<void> {
	if (m.flow !== flow) return;
	m.flow = null;
	clearTimers();
	transition(to, { event, detail: message, error: to === 'failed' || event === 'login_timed_out' ? message : null, actor });
	await flow.run.kill();
	const orphans = killMarked(marker());
	if (orphans > 0) authLog.append({ event: 'orphan_killed', detail: `${orphans} leftover CLI process(es) stopped.` });
	flow.dispose();
	settle(actor);
}

function finishFlow(flow: LoginFlow, code: number): void {
	if (m.flow !== flow) return;
	const out = flow.text();
	m.flow = null;
	clearTimers();
	flow.dispose();
	killMarked(marker());
	try {
		const saved = flow.kind === 'setup_token' ? saveIssuedToken(out) : saveFullLogin(code);
		if (saved) {
			const to = credentialView();
			transition(to === 'idle' ? 'authenticated' : to, { event: 'login_succeeded', error: null, detail: flow.kind === 'setup_token' ? 'Long-lived token stored (encrypted).' : 'Full login stored (encrypted access token).' });
			return;
		}
	} catch (err) {
		transition('failed', { error: `The credential could not be stored: ${messageOf(err)}` });
		settle();
		return;
	}
	const outcome = findOutcome(out);
	const why = outcome?.kind === 'failed' ? `Login failed: ${outcome.message}` : `The CLI exited (code ${code}) without a credential${lastLine(out) ? `: ${lastLine(out)}` : '.'}`;
	transition('failed', { error: why, detail: why });
	settle();
}

function saveIssuedToken(out: string): boolean {
	const issued = findToken(out);
	if (!issued) return false;
	store.save(dataDir(), { method: 'setup_token', kind: 'oauth_token', value: issued.token, expiresAt: Date.now() + (issued.validForMs ?? 365 * 24 * 3600 * 1000) });
	return true;
}

function credentialsFile(): string {
	return path.join(getConfig().claude.configDir, '.credentials.json');
}

/** Copy a full login's access token (never its refresh token) into the store. */
function saveFullLogin(code: number): boolean {
	if (code !== 0) return false;
	let text: string;
	try {
		text = fs.readFileSync(credentialsFile(), 'utf8');
	} catch {
		return false;
	}
	const creds = parseCredentialsFile(text);
	if (!creds) return false;
	store.save(dataDir(), { method: 'login', kind: 'oauth_token', value: creds.accessToken, expiresAt: creds.expiresAt });
	return true;
}

/** The user pasted `code#state` or the failed localhost address. */
export async function relay(input: string, actor: AuthActor = {}): Promise<ClaudeAuthView> {
	const paste = parsePaste(input);
	const flow = m.flow;
	if (!flow || m.state !== 'waiting') throw new SpyreError('conflict', 'No sign-in is waiting for a code. Start one first.');
	if (!flow.acceptsState(paste.state)) {
		throw new SpyreError('validation', 'That code belongs to a different sign-in (its state does not match). Use the sign-in page opened from this attempt.', { fields: { code: 'State does not match.' } });
	}
	if (paste.kind === 'callback' && paste.port !== flow.port) {
		throw new SpyreError('validation', `That address names port ${paste.port}, but this sign-in's CLI listens on ${flow.port ?? 'no localhost port'}.`, { fields: { code: 'Wrong port.' } });
	}
	await deliver(flow, paste.code, paste.state, paste.kind === 'callback', actor);
	return authStatus();
}

/**
 * GET /auth/claude/callback: works without a Spyre session, but only hands a code to a flow that is
 * waiting and whose state matches; the same answer for every refusal, so it reveals nothing.
 */
export async function acceptCallback(code: string, state: string, actor: AuthActor = {}): Promise<void> {
	const flow = m.flow;
	const refused = new SpyreError('bad_request', 'No sign-in is waiting for this callback. Start again from Settings › Claude Code.');
	if (!flow || m.state !== 'waiting' || code.length > 4096 || state.length > 512 || !code || !flow.acceptsState(state)) throw refused;
	let paste;
	try {
		paste = parsePaste(`${code}#${state}`);
	} catch {
		throw refused;
	}
	await deliver(flow, paste.code, paste.state, flow.port !== null, actor);
}

async function deliver(flow: LoginFlow, code: string, state: string, viaListener: boolean, actor: AuthActor): Promise<void> {
	transition('verifying', { actor, error: null, detail: viaListener ? 'Relayed to the CLI\'s localhost listener.' : 'Typed into the CLI.' });
	m.timers.push(
		setTimeout(() => {
			if (m.flow === flow && m.state === 'verifying') void endFlow(flow, 'failed', 'login_failed', 'The CLI did not finish signing in after the code was relayed.');
		}, authSettings.verifyTimeoutMs()).unref()
	);
	if (!viaListener || flow.port === null) {
		flow.submitCode(code, state);
		return;
	}
	flow.markSubmission();
	let answer;
	try {
		answer = await relayToListener(flow.port, code, state);
	} catch (err) {
		if (m.flow === flow) transition('waiting', { error: `The CLI's listener did not take the callback: ${messageOf(err)}` });
		return;
	}
	if (answer.status >= 400 && m.flow === flow && m.state === 'verifying') {
		const said = redact(answer.body.split('\n')[0].trim()).slice(0, 200);
		transition('waiting', { error: `The CLI refused the callback (HTTP ${answer.status}${said ? `: ${said}` : ''}).`, detail: `HTTP ${answer.status}` });
	}
}

export async function cancelLogin(actor: AuthActor = {}): Promise<ClaudeAuthView> {
	const flow = m.flow;
	if (!flow) throw new SpyreError('conflict', 'No sign-in is in progress.');
	await endFlow(flow, 'cancelled', 'login_cancelled', 'Cancelled.', actor);
	return authStatus();
}

// ---------------------------------------------------------------------------------------------------
// Credential

const API_KEY = /^sk-ant-[A-Za-z0-9]+-[A-Za-z0-9_-]{16,500}$/;

export async function saveApiKey(key: string, actor: AuthActor = {}): Promise<ClaudeAuthView> {
	ensureLoaded();
	if (m.flow) throw new SpyreError('conflict', 'Cancel the sign-in in progress before saving an API key.');
	const value = key.trim();
	if (!API_KEY.test(value)) {
		throw new SpyreError('validation', 'That does not look like an Anthropic API key (sk-ant-…).', { fields: { apiKey: 'Expected sk-ant-….' } });
	}
	store.save(dataDir(), { method: 'api_key', kind: 'api_key', value, expiresAt: null });
	m.method = 'api_key';
	// Checked once against upstream before it may say "Authenticated"; until then it is not usable.
	store.setHealth(dataDir(), { state: 'failed', error: 'The API key has not been checked with Anthropic yet.', at: Date.now() });
	const check = await checkCredential({ kind: 'api_key', value });
	if (check.ok) {
		store.setHealth(dataDir(), null);
		if (!transition('authenticated', { event: 'api_key_saved', actor, error: null, detail: 'API key stored (encrypted) and accepted by Anthropic.' })) {
			authLog.append({ event: 'api_key_saved', fromState: m.state, toState: m.state, method: 'api_key', userId: actor.userId ?? null, detail: 'API key replaced (encrypted) and accepted by Anthropic.' });
			m.lastError = null;
			publishView();
		}
	} else {
		store.setHealth(dataDir(), { state: 'failed', error: check.message, at: Date.now() });
		if (!transition('failed', { event: 'api_key_saved', actor, error: check.message, detail: `API key stored (encrypted); ${check.message}` })) {
			authLog.append({ event: 'api_key_saved', fromState: m.state, toState: m.state, method: 'api_key', userId: actor.userId ?? null, detail: `API key replaced; ${check.message}` });
			m.lastError = check.message;
			publishView();
		}
	}
	return authStatus();
}

/** Forget the credential (and a full login's CLI credentials file, refresh token included). */
export function signOut(actor: AuthActor = {}): ClaudeAuthView {
	ensureLoaded();
	if (m.flow) throw new SpyreError('conflict', 'Cancel the sign-in in progress first.');
	store.forget(dataDir());
	fs.rmSync(credentialsFile(), { force: true });
	m.method = null;
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
	let said = '';
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
	if (m.flow || !transition(to, { detail: `${detail} ${message}`, error: message })) {
		m.lastError = message;
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

// ---------------------------------------------------------------------------------------------------
// Start-up, health and shutdown (the loop itself lives in health.ts)

/** Kill login CLIs left by a crashed Spyre and load the state. Idempotent. */
export function initAuthState(): void {
	ensureLoaded();
	if (m.flow) return;
	const orphans = killMarked(marker());
	if (orphans > 0) authLog.append({ event: 'orphan_killed', detail: `${orphans} CLI process(es) left by an earlier run stopped at start-up.` });
	const dir = flowWorkDir(dataDir());
	fs.rmSync(dir, { recursive: true, force: true });
}

/** Apply what a health check found. `found` is null when the check could not tell. */
export function applyHealth(found: { state: 'authenticated' | 'expiring' | 'expired' | 'failed'; detail: string } | null, cli: { version: string | null }): void {
	ensureLoaded();
	m.checkedAt = Date.now();
	if (cli.version) m.cliVersion = cli.version;
	if (!found || m.flow || FLOW_STATES.has(m.state)) return;
	if (found.state === m.state) return;
	if (found.state === 'failed' || found.state === 'expired') store.setHealth(dataDir(), { state: found.state, error: found.detail, at: Date.now() });
	transition(found.state, { detail: found.detail, error: found.state === 'failed' || found.state === 'expired' ? found.detail : undefined });
}

export function stopAuth(): Promise<void> {
	const flow = m.flow;
	return flow ? endFlow(flow, 'cancelled', 'login_cancelled', 'Spyre is shutting down.') : Promise.resolve();
}

/** For the health check: the current stored credential and state (no secret). */
export function healthInputs(): { meta: store.CredentialMeta | null; state: ClaudeAuthState; busy: boolean } {
	ensureLoaded();
	return { meta: store.loadMeta(dataDir()), state: m.state, busy: m.flow !== null };
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
	let text: string;
	try {
		text = fs.readFileSync(credentialsFile(), 'utf8');
	} catch {
		return;
	}
	const creds = parseCredentialsFile(text);
	const current = store.readSecret(dataDir());
	if (creds && (creds.accessToken !== current?.value || creds.expiresAt !== meta.expiresAt)) {
		store.save(dataDir(), { method: 'login', kind: 'oauth_token', value: creds.accessToken, expiresAt: creds.expiresAt });
	}
}
