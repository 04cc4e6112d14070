// Where the broker and Spyre's own credential checks reach Anthropic: `claude.api_base_url` (tests: the
// fake Messages API) else Anthropic's API, and the one token-free-of-cost check of a credential
// (GET /v1/models with the headers the CLI would send for its kind). Never logs the credential; the
// answer's body is read only for the error's type and message.

import http from 'node:http';
import https from 'node:https';
import { getConfig } from '../../env-config';
import { checkHeaders, type UpstreamCredential } from './headers';

export const ANTHROPIC_API = 'https://api.anthropic.com';

export function upstreamBase(): URL {
	return new URL(getConfig().claude.apiBaseUrl ?? ANTHROPIC_API);
}

export const agents = {
	http: new http.Agent({ keepAlive: true, maxSockets: 256 }),
	https: new https.Agent({ keepAlive: true, maxSockets: 256 })
};

/** The upstream URL for a path and query the broker accepted (the base's own path prefix is kept). */
export function upstreamUrl(pathAndQuery: string): URL {
	const base = upstreamBase();
	return new URL(base.pathname.replace(/\/+$/, '') + pathAndQuery, base.origin);
}

export type CheckResult = { ok: true } | { ok: false; rejected: boolean; status: number | null; message: string };

/** What a rejection means for the owner, in the words the settings page shows. */
export function rejectionMessage(kind: UpstreamCredential['kind'], status: number): string {
	return kind === 'api_key'
		? `The API key was rejected by Anthropic (HTTP ${status}). Save a new key in Settings → Claude.`
		: `The OAuth token expired or was revoked (Anthropic answered HTTP ${status}). Sign in again in Settings → Claude.`;
}

/** Does upstream accept this credential? `rejected` only for a real 401/403 answer. */
export function checkCredential(credential: UpstreamCredential, timeoutMs = 10_000): Promise<CheckResult> {
	const url = upstreamUrl('/v1/models?limit=1');
	const mod = url.protocol === 'https:' ? https : http;
	return new Promise((resolve) => {
		const req = mod.request(url, { method: 'GET', headers: checkHeaders(credential, 'broker'), timeout: timeoutMs }, (res) => {
			res.resume();
			const status = res.statusCode ?? 0;
			if (status >= 200 && status < 300) return resolve({ ok: true });
			if (status === 401 || status === 403) return resolve({ ok: false, rejected: true, status, message: rejectionMessage(credential.kind, status) });
			resolve({ ok: false, rejected: false, status, message: `Anthropic answered HTTP ${status} to a credential check; it could not tell whether the credential works.` });
		});
		req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
		req.on('error', (err) => resolve({ ok: false, rejected: false, status: null, message: `The credential could not be checked: ${url.host} did not answer (${err.message}).` }));
		req.end();
	});
}
