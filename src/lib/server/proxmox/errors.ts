// The Proxmox client's typed errors and the sentences a user reads. Owns the mapping from what Proxmox sends
// (status, reason phrase, body `message`, per-parameter `errors`) and from transport failures to one
// ProxmoxError. Never puts the token secret into a message.

import { SpyreError, type SpyreErrorCode } from '$lib/server/errors';
import type { TaskLogLine, TaskStatus } from '$lib/shared/types/proxmox';
import { TlsPinError } from './tls';

export type ProxmoxErrorKind = 'network' | 'tls' | 'auth' | 'forbidden' | 'params' | 'not_found' | 'server' | 'node_offline' | 'task' | 'timeout';

export interface ProxmoxErrorInit {
	kind: ProxmoxErrorKind;
	message: string;
	/** Proxmox's HTTP status, when Proxmox answered. */
	upstreamStatus?: number;
	/** The HTTP reason phrase (`response.statusText`), where classic PVE puts its error text. */
	reason?: string;
	/** The body's `message`, trimmed (newer pve-http-server). */
	bodyMessage?: string;
	/** Per-parameter problems from a 400: parameter -> text. */
	errors?: Record<string, string>;
	/** e.g. `POST /nodes/{node}/lxc` */
	endpoint?: string;
	code?: SpyreErrorCode;
	cause?: unknown;
}

const CODE_FOR_KIND: Record<ProxmoxErrorKind, SpyreErrorCode> = {
	network: 'proxmox_unreachable',
	tls: 'proxmox_unreachable',
	auth: 'proxmox_auth',
	// The token lacks a right: a Spyre setup problem, not the signed-in user's fault (so not 403).
	forbidden: 'proxmox_auth',
	params: 'validation',
	not_found: 'not_found',
	server: 'proxmox',
	node_offline: 'proxmox_unreachable',
	task: 'proxmox',
	timeout: 'timeout'
};

/**
 * `status` (from SpyreError) is the HTTP status Spyre answers with, as for every SpyreError; the status
 * Proxmox answered is `upstreamStatus`. The one mapping between them is kind -> code (CODE_FOR_KIND above)
 * -> status (errors.ts): a Proxmox 5xx is Spyre's 502 `proxmox`, an unreachable node 503, a 400 422.
 */
export class ProxmoxError extends SpyreError {
	readonly kind: ProxmoxErrorKind;
	/** The HTTP status Proxmox answered with; undefined when it did not answer (network, TLS, timeout). */
	readonly upstreamStatus?: number;
	readonly reason?: string;
	readonly bodyMessage?: string;
	readonly errors?: Record<string, string>;
	readonly endpoint?: string;

	constructor(init: ProxmoxErrorInit) {
		super(init.code ?? CODE_FOR_KIND[init.kind], init.message, {
			cause: init.cause,
			fields: init.kind === 'params' ? init.errors : undefined
		});
		this.name = 'ProxmoxError';
		this.kind = init.kind;
		this.upstreamStatus = init.upstreamStatus;
		this.reason = init.reason;
		this.bodyMessage = init.bodyMessage;
		this.errors = init.errors;
		this.endpoint = init.endpoint;
	}
}

/** A task that ended with an exit status other than `OK` / `WARNINGS: N`. The message is the exit status. */
export class ProxmoxTaskError extends ProxmoxError {
	readonly upid: string;
	readonly exitstatus: string;
	readonly task: TaskStatus;
	/** The last log lines seen (up to 50), ending with `TASK ERROR: ...`. */
	readonly log: TaskLogLine[];

	constructor(task: TaskStatus, log: TaskLogLine[]) {
		const exitstatus = task.exitstatus?.trim() || `task ${task.type} ended without an exit status`;
		super({ kind: 'task', message: exitstatus, endpoint: 'GET /nodes/{node}/tasks/{upid}/status' });
		this.name = 'ProxmoxTaskError';
		this.upid = task.upid;
		this.exitstatus = exitstatus;
		this.task = task;
		this.log = log.slice(-50);
	}
}

export function isProxmoxError(err: unknown): err is ProxmoxError {
	return err instanceof ProxmoxError;
}

/** `OK` and `WARNINGS: N` are success; anything else (including nothing) is a failure. */
export function isTaskSuccess(exitstatus: string | undefined): boolean {
	if (exitstatus === undefined) return false;
	const s = exitstatus.trim();
	return s === 'OK' || /^WARNINGS: \d+$/.test(s);
}

export interface RequestContext {
	/** Base URL of the API as configured (for messages), e.g. `https://pve:8006`. */
	baseUrl: string;
	tokenId: string;
	method: string;
	/** Path template, e.g. `/nodes/{node}/lxc/{vmid}` */
	template: string;
	vars: Record<string, string | number>;
}

function endpointOf(ctx: RequestContext): string {
	return `${ctx.method} ${ctx.template}`;
}

function formatParamErrors(errors: Record<string, string>): string {
	return Object.entries(errors)
		.map(([k, v]) => `${k}: ${String(v).trim()}`)
		.join('; ');
}

const CONFLICT_RE = /already exists|already running|not running|is locked|can't lock file|container is running|got timeout/i;

/** Turn a non-2xx answer into a ProxmoxError whose message a user understands. */
export function errorFromResponse(ctx: RequestContext, status: number, statusText: string, body: unknown): ProxmoxError {
	const obj = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
	const bodyMessage = typeof obj.message === 'string' && obj.message.trim() ? obj.message.trim() : undefined;
	const reason = statusText.trim() || undefined;
	let errors: Record<string, string> | undefined;
	if (obj.errors && typeof obj.errors === 'object' && !Array.isArray(obj.errors)) {
		errors = {};
		for (const [k, v] of Object.entries(obj.errors as Record<string, unknown>)) {
			errors[k] = typeof v === 'string' ? v.trim() : JSON.stringify(v);
		}
		if (Object.keys(errors).length === 0) errors = undefined;
	}
	const text = bodyMessage ?? reason ?? `HTTP ${status}`;
	const base = { upstreamStatus: status, reason, bodyMessage, errors, endpoint: endpointOf(ctx) };
	const vmid = ctx.vars.vmid;
	const node = ctx.vars.node;

	if (status === 401) {
		return new ProxmoxError({
			...base,
			kind: 'auth',
			message: `Proxmox rejected the API token ${ctx.tokenId} (${text}): check proxmox.token_id / token_secret in environment.yaml.`
		});
	}
	if (status === 403) {
		const m = /Permission check failed \((\/[^,]*),\s*([^)]+)\)/.exec(text);
		const message = m
			? `The Proxmox API token ${ctx.tokenId} lacks the privilege ${m[2].trim()} on ${m[1]} (Proxmox said: ${text}). Grant it to the token and its user (tokens with privilege separation get only the intersection).`
			: `Proxmox refused the request: ${text}. The API token ${ctx.tokenId} lacks the permission this needs.`;
		return new ProxmoxError({ ...base, kind: 'forbidden', message });
	}
	if (status === 400) {
		if (errors?.upid && /no such task/i.test(errors.upid)) {
			return new ProxmoxError({ ...base, kind: 'not_found', message: `Proxmox has no such task: ${String(ctx.vars.upid ?? '')}` });
		}
		const message = errors ? `Proxmox rejected the request parameters: ${formatParamErrors(errors)}` : `Proxmox rejected the request: ${text}`;
		return new ProxmoxError({ ...base, kind: 'params', message });
	}
	if (status === 404) {
		return new ProxmoxError({ ...base, kind: 'not_found', message: `Proxmox has no ${ctx.method} ${ctx.template}: ${text}` });
	}
	if (status === 595 || status === 596) {
		const where = node !== undefined ? `Proxmox node ${node}` : 'A Proxmox node';
		return new ProxmoxError({
			...base,
			kind: 'node_offline',
			message: `${where} is offline or unreachable from the node Spyre talks to (${text}).`
		});
	}
	if (status === 501) {
		return new ProxmoxError({
			...base,
			kind: 'server',
			message: `Proxmox does not implement ${endpointOf(ctx)} (${text}); this Proxmox VE version may be too old for it.`
		});
	}
	if (status === 500 && /^Configuration file '[^']*' does not exist/.test(text)) {
		const message = vmid !== undefined ? `CT ${vmid} does not exist on node ${node} (${text})` : text;
		return new ProxmoxError({ ...base, kind: 'not_found', message });
	}
	if (status >= 500) {
		let message = text;
		// Proxmox leaves the id out of the lock message; the user needs to know which CT.
		if (vmid !== undefined) message = message.replace(/^(CT|VM) is locked/, `$1 ${vmid} is locked`);
		if (/^(CT|VM) \d+ is locked \(([^)]*)\)$/.test(message)) {
			message += ': another Proxmox operation still holds it; try again when it has finished.';
		}
		return new ProxmoxError({ ...base, kind: 'server', message, code: CONFLICT_RE.test(text) ? 'conflict' : undefined });
	}
	return new ProxmoxError({ ...base, kind: 'server', message: `Proxmox answered ${status} ${text} to ${endpointOf(ctx)}` });
}

const TLS_CODES = new Set([
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'CERT_HAS_EXPIRED',
	'CERT_NOT_YET_VALID',
	'CERT_UNTRUSTED',
	'CERT_REJECTED',
	'CERT_SIGNATURE_FAILURE',
	'ERR_TLS_CERT_ALTNAME_INVALID',
	'ERR_SSL_WRONG_VERSION_NUMBER'
]);

function causes(err: unknown): unknown[] {
	const out: unknown[] = [];
	const seen = new Set<unknown>();
	const queue: unknown[] = [err];
	while (queue.length > 0 && out.length < 20) {
		const e = queue.shift();
		if (e === undefined || e === null || seen.has(e)) continue;
		seen.add(e);
		out.push(e);
		if (typeof e === 'object') {
			queue.push((e as { cause?: unknown }).cause);
			if (e instanceof AggregateError) queue.push(...e.errors);
		}
	}
	return out;
}

/** Map a fetch failure (no HTTP answer) to a network or TLS ProxmoxError. */
export function errorFromTransport(ctx: RequestContext, err: unknown): ProxmoxError {
	const chain = causes(err);
	const pin = chain.find((e): e is TlsPinError => e instanceof TlsPinError);
	if (pin) {
		return new ProxmoxError({
			kind: 'tls',
			endpoint: endpointOf(ctx),
			cause: err,
			message:
				`The TLS certificate of Proxmox at ${ctx.baseUrl} does not match the pinned fingerprint: ` +
				`expected ${pin.expected}, received ${pin.received}. If the certificate was renewed on purpose, ` +
				`update proxmox.tls.fingerprint; otherwise something is intercepting the connection.`
		});
	}
	const codes = chain.map((e) => (e && typeof e === 'object' ? (e as { code?: unknown }).code : undefined)).filter((c): c is string => typeof c === 'string');
	const tlsCode = codes.find((c) => TLS_CODES.has(c) || c.startsWith('ERR_TLS') || c.startsWith('ERR_SSL'));
	if (tlsCode) {
		const detail = chain.find((e) => (e as { code?: unknown })?.code === tlsCode) as Error | undefined;
		return new ProxmoxError({
			kind: 'tls',
			endpoint: endpointOf(ctx),
			cause: err,
			message:
				`Cannot verify the TLS certificate of Proxmox at ${ctx.baseUrl}: ${detail?.message ?? tlsCode} (${tlsCode}). ` +
				`Set proxmox.tls.ca_file to the cluster CA (/etc/pve/pve-root-ca.pem) or pin proxmox.tls.fingerprint.`
		});
	}
	const netCode = codes.find((c) => c !== 'UND_ERR' && /^[A-Z_]+$/.test(c));
	const deepest = chain[chain.length - 1];
	const detail = netCode ?? (deepest instanceof Error ? deepest.message : String(deepest));
	return new ProxmoxError({
		kind: 'network',
		endpoint: endpointOf(ctx),
		cause: err,
		message: `Cannot reach Proxmox at ${ctx.baseUrl}: ${detail}`
	});
}

export function requestTimeoutError(ctx: RequestContext, ms: number, cause?: unknown): ProxmoxError {
	return new ProxmoxError({
		kind: 'timeout',
		endpoint: endpointOf(ctx),
		cause,
		message: `Proxmox at ${ctx.baseUrl} did not answer ${endpointOf(ctx)} within ${formatMs(ms)}.`
	});
}

export function formatMs(ms: number): string {
	return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}
