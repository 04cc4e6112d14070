// What a service URL answers while its environment is not running: a small HTML page served on the
// service's own origin (Caddy copies forward_auth's answer to the browser), which says so and reloads until
// the environment runs, when the same address loads the service itself. It carries nothing of Spyre's (no
// link with a token, no script): a strict CSP allows only its own inline style, by hash.

import crypto from 'node:crypto';

const RELOAD_S = 2;

const STYLE =
	'body{font:16px/1.5 system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;background:#0b1120;color:#e2e8f0}' +
	'main{max-width:32rem;padding:2rem;text-align:center}h1{font-size:1.25rem;margin:0 0 .5rem}p{margin:.25rem 0;color:#94a3b8}';
const STYLE_HASH = crypto.createHash('sha256').update(STYLE).digest('base64');

const CSP = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

function escapeHtml(s: string): string {
	return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface PageFacts {
	hostname: string;
	service: string;
}

export function startingPage(f: PageFacts, method = 'GET'): Response {
	const host = escapeHtml(f.hostname);
	const service = escapeHtml(f.service);
	const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta http-equiv="refresh" content="${RELOAD_S}"><title>Starting ${host}</title><style>${STYLE}</style></head><body><main role="status"><h1>Starting ${host}…</h1><p>${service} loads here as soon as it answers.</p></main></body></html>`;
	return new Response(method === 'HEAD' ? null : html, {
		status: 503,
		headers: {
			'content-type': 'text/html; charset=utf-8',
			'cache-control': 'no-store',
			'retry-after': String(RELOAD_S),
			'content-security-policy': CSP,
			'x-content-type-options': 'nosniff',
			'referrer-policy': 'no-referrer'
		}
	});
}
