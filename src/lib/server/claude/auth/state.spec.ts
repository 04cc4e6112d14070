import { describe, expect, it } from 'vitest';
import { CLAUDE_AUTH_STATES, type ClaudeAuthState } from '$lib/shared/types/claude-auth';
import { AUTH_LOG_EVENTS, DAY_MS, canTransition, credentialState, defaultEvent, step } from './state';
import migration from '../../migrations/004-claude-auth.sql?raw';

describe('canTransition', () => {
	it.each<[ClaudeAuthState, ClaudeAuthState, boolean]>([
		['idle', 'starting', true],
		['starting', 'waiting', true],
		['starting', 'verifying', false],
		['waiting', 'verifying', true],
		['waiting', 'authenticated', false],
		['verifying', 'waiting', true],
		['verifying', 'authenticated', true],
		['verifying', 'cancelled', true],
		['waiting', 'cancelled', true],
		['starting', 'failed', true],
		['authenticated', 'expiring', true],
		['expiring', 'expired', true],
		['authenticated', 'failed', true],
		['failed', 'starting', true],
		['cancelled', 'authenticated', true],
		['cancelled', 'waiting', false],
		['authenticated', 'idle', true],
		['idle', 'verifying', false],
		['authenticated', 'authenticated', false]
	])('%s → %s is %s', (from, to, ok) => {
		expect(canTransition(from, to)).toBe(ok);
	});

	it('every state can reach starting or is part of a flow', () => {
		for (const s of CLAUDE_AUTH_STATES) {
			expect(canTransition(s, 'starting') || ['starting', 'waiting', 'verifying'].includes(s)).toBe(true);
		}
	});
});

describe('credentialState', () => {
	const now = 1_000_000_000_000;
	it('has no expiry for API keys', () => expect(credentialState(null, now)).toBe('authenticated'));
	it('is authenticated with more than 7 days left', () => expect(credentialState(now + 8 * DAY_MS, now)).toBe('authenticated'));
	it('is expiring within 7 days', () => expect(credentialState(now + 7 * DAY_MS, now)).toBe('expiring'));
	it('is expired at the expiry', () => expect(credentialState(now, now)).toBe('expired'));
	it('honours a margin', () => expect(credentialState(now + 60_000, now, 5 * 60_000)).toBe('expired'));
});

describe('defaultEvent', () => {
	it('names flow steps', () => {
		expect(defaultEvent('idle', 'starting')).toBe('login_started');
		expect(defaultEvent('starting', 'waiting')).toBe('url_captured');
		expect(defaultEvent('verifying', 'waiting')).toBe('code_rejected');
		expect(defaultEvent('verifying', 'authenticated')).toBe('login_succeeded');
		expect(defaultEvent('waiting', 'failed')).toBe('login_failed');
		expect(defaultEvent('authenticated', 'failed')).toBe('health_failed');
		expect(defaultEvent('authenticated', 'idle')).toBe('logout');
	});

	it('only uses names that migration 004 allows', () => {
		for (const e of AUTH_LOG_EVENTS) expect(migration).toContain(`'${e}'`);
		for (const from of CLAUDE_AUTH_STATES) {
			for (const to of CLAUDE_AUTH_STATES) {
				if (canTransition(from, to)) expect(AUTH_LOG_EVENTS).toContain(defaultEvent(from, to));
			}
		}
	});
});

describe('step', () => {
	const at = (state: ClaudeAuthState, lastError: string | null = null) => ({ state, lastError });

	it('refuses what canTransition refuses, and a move to the same state', () => {
		expect(step(at('idle'), 'verifying')).toBeNull();
		expect(step(at('authenticated'), 'authenticated')).toBeNull();
		expect(step(at('waiting'), 'authenticated')).toBeNull();
	});

	it('names the move with the default event unless the caller picks one', () => {
		expect(step(at('verifying'), 'waiting')?.event).toBe('code_rejected');
		expect(step(at('authenticated'), 'failed', { event: 'api_key_saved' })?.event).toBe('api_key_saved');
	});

	it('keeps the last error when none is given, clears it with null, sets it redacted', () => {
		expect(step(at('waiting', 'old'), 'verifying')).toEqual({ state: 'verifying', lastError: 'old', event: 'code_submitted' });
		expect(step(at('waiting', 'old'), 'verifying', { error: null })?.lastError).toBeNull();
		const token = 'sk-ant-oat01-' + 'A'.repeat(80);
		const next = step(at('starting'), 'failed', { error: `the CLI printed ${token}` });
		expect(next?.state).toBe('failed');
		expect(next?.lastError).toContain('the CLI printed');
		expect(next?.lastError).not.toContain(token);
	});
});
