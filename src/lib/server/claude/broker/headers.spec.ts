import { describe, expect, it } from 'vitest';
import { OAUTH_BETA, OAUTH_CACHE_BETA, betaFor, upstreamHeaders } from './headers';

// Recorded from the real CLI (claude 2.1.332, `-p hi`) against a recording server: the same request with
// ANTHROPIC_AUTH_TOKEN (what a task sends the broker), ANTHROPIC_API_KEY and CLAUDE_CODE_OAUTH_TOKEN.
// tests/security/agent-broker.test.ts checks the same thing end to end with the live CLI.
const COMMON = {
	accept: 'application/json',
	'content-type': 'application/json',
	'user-agent': 'claude-cli/2.1.332 (external, sdk-cli)',
	'x-claude-code-session-id': 'c204f655-3346-457c-93da-43750a3bf92c',
	'x-stainless-arch': 'x64',
	'x-stainless-lang': 'js',
	'x-stainless-os': 'Linux',
	'x-stainless-package-version': '0.128.0',
	'x-stainless-retry-count': '0',
	'x-stainless-runtime': 'node',
	'x-stainless-runtime-version': 'v26.12.1',
	'x-stainless-timeout': '600',
	'anthropic-dangerous-direct-browser-access': 'true',
	'anthropic-version': '2023-06-01',
	'x-app': 'cli'
};
const PLAIN_BETA =
	'claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,per-turn-control-2026-07-01,mid-conversation-tool-changes-2026-07-01,thinking-token-count-2026-05-13,advanced-tool-use-2025-11-20,effort-2025-11-24,thinking-display-updates-2026-08-18';
const OAUTH_BETA_LIST =
	'claude-code-20250219,oauth-2025-04-20,interleaved-thinking-2025-05-14,context-management-2025-06-27,per-turn-control-2026-07-01,mid-conversation-tool-changes-2026-07-01,thinking-token-count-2026-05-13,advanced-tool-use-2025-11-20,effort-2025-11-24,thinking-display-updates-2026-08-18,extended-cache-ttl-2025-04-11';

const viaTaskToken = {
	...COMMON,
	authorization: 'Bearer spyre-task-CCCCCCCCCCCCC',
	'anthropic-beta': PLAIN_BETA,
	connection: 'keep-alive',
	host: '127.0.0.1:36917',
	'accept-encoding': 'gzip, deflate, br, zstd',
	'content-length': '49188'
};
const directApiKey = { ...COMMON, 'anthropic-beta': PLAIN_BETA, 'x-api-key': 'sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAA', 'content-length': '49188' };
const directOauth = { ...COMMON, 'anthropic-beta': OAUTH_BETA_LIST, authorization: 'Bearer sk-ant-oat01-BBBBBBBBBBBBBBBBBBBBBBB', 'content-length': '49188' };

describe('upstreamHeaders', () => {
	it("API key: exactly the CLI's own API-key request (transport headers aside)", () => {
		const out = upstreamHeaders(viaTaskToken, { kind: 'api_key', value: 'sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAA' });
		expect(out).toEqual({ ...directApiKey, 'accept-encoding': 'identity' });
		expect(out.authorization).toBeUndefined();
	});

	it("OAuth token: Bearer plus the OAuth betas in the CLI's order", () => {
		const out = upstreamHeaders(viaTaskToken, { kind: 'oauth_token', value: 'sk-ant-oat01-BBBBBBBBBBBBBBBBBBBBBBB' });
		expect(out).toEqual({ ...directOauth, 'accept-encoding': 'identity' });
		expect(out['x-api-key']).toBeUndefined();
	});

	it('drops what a hostile caller adds: its own credentials, cookies, forwarding and hop-by-hop headers', () => {
		const out = upstreamHeaders(
			{
				...viaTaskToken,
				'x-api-key': 'sk-ant-stolen',
				cookie: 'a=b',
				'x-forwarded-for': '1.2.3.4',
				forwarded: 'for=x',
				'proxy-authorization': 'x',
				te: 'trailers',
				upgrade: 'h2c',
				'anthropic-beta': `${OAUTH_BETA},x`
			},
			{ kind: 'api_key', value: 'sk-ant-real' }
		);
		expect(out['x-api-key']).toBe('sk-ant-real');
		for (const h of ['cookie', 'x-forwarded-for', 'forwarded', 'proxy-authorization', 'te', 'upgrade', 'host', 'connection']) expect(out[h]).toBeUndefined();
		expect(out['anthropic-beta']).toBe('x');
	});
});

describe('betaFor', () => {
	it('adds the OAuth betas once, even when the caller already sent them', () => {
		expect(betaFor('oauth_token', `${OAUTH_BETA},claude-code-20250219,${OAUTH_CACHE_BETA}`)).toBe(`claude-code-20250219,${OAUTH_BETA},${OAUTH_CACHE_BETA}`);
		expect(betaFor('oauth_token', undefined)).toBe(`${OAUTH_BETA},${OAUTH_CACHE_BETA}`);
		expect(betaFor('api_key', undefined)).toBeUndefined();
	});
});
