// The one rule for the headers the broker sends upstream: what the task's CLI sent, minus hop-by-hop and
// any credential it carried (the per-task token), plus the real credential exactly the way the real CLI
// sends it for that kind. Recorded from claude 2.1.332 against the fake Messages API (pinned in
// headers.spec.ts and tests/security/agent-broker.test.ts):
//   API key      `x-api-key: <key>`; `anthropic-beta` without the OAuth flags.
//   OAuth token  `authorization: Bearer <token>`; `anthropic-beta` with `oauth-2025-04-20` right after
//                `claude-code-20250219` and `extended-cache-ttl-2025-04-11` at the end.
// With ANTHROPIC_AUTH_TOKEN (the per-task token) the CLI sends the API-key beta list and a Bearer header.
// One deliberate difference: `accept-encoding: identity`, so the broker reads usage without decompressing.
// Pure: never logs or returns a credential to anything but the upstream request.

import type { IncomingHttpHeaders } from 'node:http';

export type CredentialKind = 'api_key' | 'oauth_token';
export interface UpstreamCredential {
	kind: CredentialKind;
	value: string;
}

export const OAUTH_BETA = 'oauth-2025-04-20';
export const OAUTH_CACHE_BETA = 'extended-cache-ttl-2025-04-11';
const CLAUDE_CODE_BETA = 'claude-code-20250219';

/** Never forwarded: hop-by-hop, routing, credentials and cookies of the caller. */
const DROP = new Set([
	'host',
	'connection',
	'keep-alive',
	'proxy-authorization',
	'proxy-connection',
	'te',
	'trailer',
	'transfer-encoding',
	'upgrade',
	'authorization',
	'x-api-key',
	'cookie',
	'forwarded',
	'x-real-ip',
	'accept-encoding'
]);

/** The anthropic-beta list for a credential kind, from the one the CLI sent with the per-task token. */
export function betaFor(kind: CredentialKind, sent: string | undefined): string | undefined {
	const list = (sent ?? '')
		.split(',')
		.map((s) => s.trim())
		.filter(Boolean)
		.filter((b) => b !== OAUTH_BETA && b !== OAUTH_CACHE_BETA);
	if (kind === 'oauth_token') {
		const at = list.indexOf(CLAUDE_CODE_BETA);
		list.splice(at === -1 ? 0 : at + 1, 0, OAUTH_BETA);
		list.push(OAUTH_CACHE_BETA);
	}
	return list.length > 0 ? list.join(',') : undefined;
}

/** Headers for the upstream request. `incoming` is the task CLI's request (hostile input). */
export function upstreamHeaders(incoming: IncomingHttpHeaders, credential: UpstreamCredential): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [name, value] of Object.entries(incoming)) {
		if (value === undefined) continue;
		const n = name.toLowerCase();
		if (DROP.has(n) || n.startsWith('x-forwarded-') || n.startsWith('proxy-') || n === 'anthropic-beta') continue;
		out[n] = Array.isArray(value) ? value.join(', ') : value;
	}
	const beta = betaFor(credential.kind, typeof incoming['anthropic-beta'] === 'string' ? incoming['anthropic-beta'] : undefined);
	if (beta) out['anthropic-beta'] = beta;
	if (credential.kind === 'api_key') out['x-api-key'] = credential.value;
	else out.authorization = `Bearer ${credential.value}`;
	out['accept-encoding'] = 'identity';
	return out;
}

/** Headers of Spyre's own checks of a credential (GET /v1/models), shaped like the CLI's for the kind. */
export function checkHeaders(credential: UpstreamCredential, version: string): Record<string, string> {
	return upstreamHeaders({ 'anthropic-version': '2023-06-01', 'user-agent': `spyre/${version}`, 'anthropic-beta': credential.kind === 'oauth_token' ? CLAUDE_CODE_BETA : undefined }, credential);
}
