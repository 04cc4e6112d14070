// The broker's request handler: the only way a task's CLI reaches Anthropic. It forwards POST
// /v1/messages (and count_tokens) and nothing else; accepts a per-task token only while its task runs and
// only from its environment's stored address; enforces budgets before a call; swaps the token for the
// real credential (headers.ts); streams the answer through chunk by chunk (no buffering); measures usage
// from upstream's own SSE/JSON; and reports upstream's real 401/403 to the auth module, the one place the
// global state changes. Everything in a request is hostile input. Never logs a token or the credential;
// errors it makes itself are Anthropic-shaped so the CLI prints their message.

import http from 'node:http';
import https from 'node:https';
import { messageOf } from '../../errors';
import { getConfig } from '../../env-config';
import { getTaskCredential, reportUpstreamRejection } from '../auth';
import { budgetRefusal } from './budget';
import { upstreamHeaders } from './headers';
import { markRefused, monthSpendUsd, recordUsage, taskUsage } from './ledger';
import { costUsd } from './pricing';
import { lookupToken, type TokenHolder } from './tokens';
import { agents, upstreamUrl } from './upstream';
import { UsageMeter } from './usage';
import { noteRefusal, noteUsage } from './task-notes';

/** The Messages API paths the CLI needs; everything else is refused. */
export const FORWARDED_PATHS: ReadonlySet<string> = new Set(['/v1/messages', '/v1/messages/count_tokens']);
const ALLOWED_QUERIES: ReadonlySet<string> = new Set(['', 'beta=true']);
/** A request body larger than this is cut off (a Messages call with images stays far below). */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Bytes of an upstream error body kept to read its message (the body itself is streamed through). */
const ERROR_PEEK = 64 * 1024;

const RESPONSE_DROP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-authenticate', 'trailer', 'upgrade', 'set-cookie']);

/** Anthropic's error shape, so the CLI prints `message`. */
export function sendError(res: http.ServerResponse, status: number, type: string, message: string): void {
	if (res.headersSent) return void res.destroy();
	const body = JSON.stringify({ type: 'error', error: { type, message } });
	res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-spyre-broker': '1' });
	res.end(body);
}

/** `::ffff:10.0.0.5` and `10.0.0.5` are one address. */
export function normalizeAddress(a: string | undefined): string {
	return (a ?? '').replace(/^::ffff:/i, '');
}

function taskBudget(holder: TokenHolder): number | null {
	try {
		const v = (JSON.parse(holder.options) as { maxBudgetUsd?: unknown }).maxBudgetUsd;
		return typeof v === 'number' && v > 0 ? v : null;
	} catch {
		return null;
	}
}

export function handleBrokerRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
	const raw = req.url ?? '/';
	const q = raw.indexOf('?');
	const path = q === -1 ? raw : raw.slice(0, q);
	const query = q === -1 ? '' : raw.slice(q + 1);
	if (req.method !== 'POST' || !FORWARDED_PATHS.has(path) || !ALLOWED_QUERIES.has(query)) {
		req.resume();
		return sendError(res, 404, 'not_found_error', `Spyre's broker forwards only POST /v1/messages; ${req.method} ${path.slice(0, 100)} is refused.`);
	}
	const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
	const holder = token ? lookupToken(token) : null;
	if (!holder) {
		req.resume();
		return sendError(res, 401, 'authentication_error', "Spyre's broker refused the call: the task token is not valid (unknown, or its task is no longer running).");
	}
	if (!holder.address || normalizeAddress(req.socket.remoteAddress) !== holder.address) {
		req.resume();
		return sendError(res, 403, 'permission_error', "Spyre's broker refused the call: the task token was used from another address than its environment's.");
	}
	const credential = getTaskCredential();
	if (!credential) {
		req.resume();
		return sendError(res, 401, 'authentication_error', 'Spyre has no working Claude credential: see Settings → Claude.');
	}
	const monthly = getConfig().claude.monthlyBudgetUsd ?? null;
	const refusal = budgetRefusal({
		taskSpentUsd: taskUsage(holder.taskId).costUsd,
		taskBudgetUsd: taskBudget(holder),
		monthSpentUsd: monthly === null ? 0 : monthSpendUsd(Date.now()),
		monthlyBudgetUsd: monthly
	});
	if (refusal) {
		req.resume();
		if (markRefused(holder.taskId, refusal)) noteRefusal(holder.taskId, refusal);
		return sendError(res, 400, 'invalid_request_error', refusal);
	}
	forward(req, res, holder, credential, path + (query ? `?${query}` : ''));
}

function forward(req: http.IncomingMessage, res: http.ServerResponse, holder: TokenHolder, credential: { kind: 'api_key' | 'oauth_token'; value: string }, pathAndQuery: string): void {
	const url = upstreamUrl(pathAndQuery);
	const isHttps = url.protocol === 'https:';
	let finished = false;
	let meter: UsageMeter | null = null;
	let status = 0;
	const errorPeek: Buffer[] = [];
	let peeked = 0;

	const finish = () => {
		if (finished) return;
		finished = true;
		try {
			if (meter) {
				meter.end();
				const cost = costUsd(meter.model, meter.usage);
				recordUsage(holder.taskId, { model: meter.model, status, usage: meter.usage, costUsd: cost });
				noteUsage(holder.taskId);
			}
			if (status === 401 || status === 403) reportUpstreamRejection(credential, status, Buffer.concat(errorPeek).toString('utf8'));
		} catch (err) {
			console.error('[spyre] broker: recording a call failed:', messageOf(err));
		}
	};

	const upstream = (isHttps ? https : http).request(url, { method: 'POST', headers: upstreamHeaders(req.headers, credential), agent: isHttps ? agents.https : agents.http }, (up) => {
		status = up.statusCode ?? 502;
		const headers: Record<string, string | string[]> = {};
		for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !RESPONSE_DROP.has(k)) headers[k] = v;
		res.writeHead(status, headers);
		res.flushHeaders();
		// count_tokens is free: only a Messages call is metered.
		if (status >= 200 && status < 300 && pathAndQuery.split('?')[0] === '/v1/messages') meter = new UsageMeter(up.headers['content-type']);
		up.on('data', (chunk: Buffer) => {
			meter?.push(chunk);
			if ((status === 401 || status === 403) && peeked < ERROR_PEEK) {
				errorPeek.push(chunk);
				peeked += chunk.length;
			}
			if (!res.write(chunk)) {
				up.pause();
				res.once('drain', () => up.resume());
			}
		});
		up.on('end', () => {
			res.end();
			finish();
		});
		up.on('error', () => {
			res.destroy();
			finish();
		});
	});
	upstream.on('error', (err) => {
		finish();
		sendError(res, 502, 'api_error', `Spyre's broker could not reach the Claude API (${url.host}): ${err.message}`);
	});
	// The task's CLI went away (cancelled, killed): stop the upstream call too.
	res.on('close', () => {
		if (!res.writableFinished) upstream.destroy();
		finish();
	});
	let bytes = 0;
	req.on('data', (chunk: Buffer) => {
		bytes += chunk.length;
		if (bytes > MAX_BODY_BYTES) {
			upstream.destroy();
			sendError(res, 413, 'request_too_large', `Spyre's broker refused a request body over ${MAX_BODY_BYTES / 1048576} MiB.`);
			req.destroy();
		}
	});
	req.pipe(upstream);
}
