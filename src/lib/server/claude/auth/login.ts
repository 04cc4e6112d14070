// The sign-in flow on the Spyre host: start the CLI (setup-token or a full login) under a PTY, its
// start and abandonment timeouts, relaying a pasted code or the browser's failed callback to it, and how
// a flow ends (stored credential, failure, cancel). Each step moves the machine (machine.ts); the CLI's
// output, which may hold the issued token, stays in the flow object and is never logged.

import fs from 'node:fs';
import type { ClaudeAuthView, ClaudeLoginFlow } from '$lib/shared/types/claude-auth';
import { getConfig } from '../../env-config';
import { SpyreError, messageOf } from '../../errors';
import { readCliCredentials } from './credential';
import { LoginFlow, flowWorkDir } from './flow';
import * as authLog from './log';
import { authStatus, credentialView, dataDir, ensureLoaded, machine, marker, settle, transition, type AuthActor } from './machine';
import { findOutcome, findToken, lastLine, parsePaste, redact } from './parse';
import { findExecutable, killMarked } from './process';
import { relayToListener } from './relay';
import { authSettings } from './settings';
import type { AuthLogEvent } from './state';
import * as store from './store';

export function startLogin(kind: ClaudeLoginFlow, actor: AuthActor = {}): ClaudeAuthView {
	ensureLoaded();
	if (machine.flow) throw new SpyreError('conflict', 'A sign-in is already in progress: finish or cancel it first.');
	const cfg = getConfig();
	killMarked(marker());
	if (!transition('starting', { actor, error: null, detail: kind === 'setup_token' ? 'claude setup-token' : 'claude auth login' })) {
		throw new SpyreError('conflict', `Cannot start a sign-in while ${machine.state}.`);
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
					if (machine.flow !== flow) return;
					machine.flowDeadline = flow.startedAt + authSettings.loginTimeoutMs();
					transition('waiting', { detail: flow.port ? `The CLI listens on localhost port ${flow.port}.` : null });
				},
				onInvalidCode: () => {
					if (machine.flow === flow && machine.state === 'verifying') {
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
	machine.flow = flow;
	machine.method = kind;
	machine.flowDeadline = flow.startedAt + authSettings.loginTimeoutMs();
	machine.timers.push(
		setTimeout(() => {
			if (machine.flow === flow && machine.state === 'starting')
				void endFlow(flow, 'failed', 'login_failed', `The CLI printed no sign-in address within ${human(authSettings.startTimeoutMs())}: ${lastLine(flow.text()) || 'no output'}`);
		}, authSettings.startTimeoutMs()),
		setTimeout(() => {
			if (machine.flow === flow) void endFlow(flow, 'cancelled', 'login_timed_out', `Nobody finished the sign-in within ${human(authSettings.loginTimeoutMs())}, so it was cancelled.`);
		}, authSettings.loginTimeoutMs())
	);
	for (const t of machine.timers) t.unref();
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
	for (const t of machine.timers) clearTimeout(t);
	machine.timers = [];
}

/** Stop a flow: kill its process group and any orphan, record why. */
async function endFlow(flow: LoginFlow, to: 'cancelled' | 'failed', event: AuthLogEvent, message: string, actor?: AuthActor): Promise<void> {
	if (machine.flow !== flow) return;
	machine.flow = null;
	clearTimers();
	// Kill first: a state of 'cancelled' or 'failed' promises that no CLI of the flow still runs.
	await flow.run.kill();
	const orphans = killMarked(marker());
	transition(to, { event, detail: message, error: to === 'failed' || event === 'login_timed_out' ? message : null, actor });
	if (orphans > 0) authLog.append({ event: 'orphan_killed', detail: `${orphans} leftover CLI process(es) stopped.` });
	flow.dispose();
	settle(actor);
}

function finishFlow(flow: LoginFlow, code: number): void {
	if (machine.flow !== flow) return;
	const out = flow.text();
	machine.flow = null;
	clearTimers();
	flow.dispose();
	killMarked(marker());
	try {
		const saved = flow.kind === 'setup_token' ? saveIssuedToken(out) : saveFullLogin(code);
		if (saved) {
			const to = credentialView();
			transition(to === 'idle' ? 'authenticated' : to, {
				event: 'login_succeeded',
				error: null,
				detail: flow.kind === 'setup_token' ? 'Long-lived token stored (encrypted).' : 'Full login stored (encrypted access token).'
			});
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

/** Copy a full login's access token (never its refresh token) into the store. */
function saveFullLogin(code: number): boolean {
	if (code !== 0) return false;
	const creds = readCliCredentials();
	if (!creds) return false;
	store.save(dataDir(), { method: 'login', kind: 'oauth_token', value: creds.accessToken, expiresAt: creds.expiresAt });
	return true;
}

/** The user pasted `code#state` or the failed localhost address. */
export async function relay(input: string, actor: AuthActor = {}): Promise<ClaudeAuthView> {
	const paste = parsePaste(input);
	const flow = machine.flow;
	if (!flow || machine.state !== 'waiting') throw new SpyreError('conflict', 'No sign-in is waiting for a code. Start one first.');
	if (!flow.acceptsState(paste.state)) {
		throw new SpyreError('validation', 'That code belongs to a different sign-in (its state does not match). Use the sign-in page opened from this attempt.', {
			fields: { code: 'State does not match.' }
		});
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
	const flow = machine.flow;
	const refused = new SpyreError('bad_request', 'No sign-in is waiting for this callback. Start again from Settings › Claude Code.');
	if (!flow || machine.state !== 'waiting' || code.length > 4096 || state.length > 512 || !code || !flow.acceptsState(state)) throw refused;
	let paste;
	try {
		paste = parsePaste(`${code}#${state}`);
	} catch {
		throw refused;
	}
	await deliver(flow, paste.code, paste.state, flow.port !== null, actor);
}

async function deliver(flow: LoginFlow, code: string, state: string, viaListener: boolean, actor: AuthActor): Promise<void> {
	transition('verifying', { actor, error: null, detail: viaListener ? "Relayed to the CLI's localhost listener." : 'Typed into the CLI.' });
	machine.timers.push(
		setTimeout(() => {
			if (machine.flow === flow && machine.state === 'verifying') void endFlow(flow, 'failed', 'login_failed', 'The CLI did not finish signing in after the code was relayed.');
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
		if (machine.flow === flow) transition('waiting', { error: `The CLI's listener did not take the callback: ${messageOf(err)}` });
		return;
	}
	if (answer.status >= 400 && machine.flow === flow && machine.state === 'verifying') {
		const said = redact(answer.body.split('\n')[0].trim()).slice(0, 200);
		transition('waiting', { error: `The CLI refused the callback (HTTP ${answer.status}${said ? `: ${said}` : ''}).`, detail: `HTTP ${answer.status}` });
	}
}

export async function cancelLogin(actor: AuthActor = {}): Promise<ClaudeAuthView> {
	const flow = machine.flow;
	if (!flow) throw new SpyreError('conflict', 'No sign-in is in progress.');
	await endFlow(flow, 'cancelled', 'login_cancelled', 'Cancelled.', actor);
	return authStatus();
}

/** Kill login CLIs left by a crashed Spyre and load the state. Idempotent. */
export function initAuthState(): void {
	ensureLoaded();
	if (machine.flow) return;
	const orphans = killMarked(marker());
	if (orphans > 0) authLog.append({ event: 'orphan_killed', detail: `${orphans} CLI process(es) left by an earlier run stopped at start-up.` });
	const dir = flowWorkDir(dataDir());
	fs.rmSync(dir, { recursive: true, force: true });
}

export function stopAuth(): Promise<void> {
	const flow = machine.flow;
	return flow ? endFlow(flow, 'cancelled', 'login_cancelled', 'Spyre is shutting down.') : Promise.resolve();
}
