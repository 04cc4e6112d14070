// One HTTP exchange with the Proxmox VE API: token header, per-client TLS dispatcher, request timeout, the
// `{data}` envelope, answer validation and safe retries, counted per endpoint template.
// Must never: disable TLS verification process-wide, put the token secret into an error or a log line, retry
// a POST/DELETE (they are not idempotent) or a 401 (each costs ~3 s on real PVE).

import { fetch, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { errorFromResponse, errorFromTransport, ProxmoxError, requestTimeoutError, type RequestContext } from './errors';
import type { ProxmoxClientOptions, ProxmoxStats } from './options';
import { toParams, type ParamValue } from './params';
import { describeIssues } from './schemas';
import { sleep } from './sleep';
import { createDispatcher } from './tls';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RequestSpec<T> {
	vars?: Record<string, string | number>;
	query?: Record<string, ParamValue>;
	form?: Record<string, ParamValue>;
	signal?: AbortSignal;
	schema: z.ZodType<T>;
}

/** Path segments keep RFC 3986 pchars (`:`, `@`, `!`) raw, as pvesh does, so UPIDs go in unmangled. */
function encodeSegment(value: string | number): string {
	return encodeURIComponent(String(value)).replace(/%3A/gi, ':').replace(/%40/g, '@').replace(/%21/g, '!');
}

function fillTemplate(template: string, vars: Record<string, string | number>): string {
	return template.replace(/\{([a-z]+)\}/g, (_m, name: string) => {
		const v = vars[name];
		if (v === undefined || v === '') throw new Error(`proxmox: missing path parameter ${name} for ${template}`);
		return encodeSegment(v);
	});
}

function invalidResponse(ctx: RequestContext, detail: string, status?: number): ProxmoxError {
	return new ProxmoxError({
		kind: 'server',
		upstreamStatus: status,
		endpoint: `${ctx.method} ${ctx.template}`,
		message: `Proxmox sent an unexpected response to ${ctx.method} ${ctx.template}: ${detail}`
	});
}

/** Transient server trouble worth one more GET; a 501, a missing CT or an offline node is not. */
function isRetryable(err: ProxmoxError): boolean {
	if (err.kind === 'network') return true;
	return err.kind === 'server' && err.upstreamStatus !== undefined && err.upstreamStatus >= 500 && err.upstreamStatus !== 501;
}

export class ProxmoxTransport {
	/** `https://host:8006`, for messages and links. */
	readonly url: string;
	readonly stats: ProxmoxStats = { total: 0, byEndpoint: {} };
	readonly #apiBase: string;
	readonly #tokenId: string;
	readonly #authHeader: string;
	readonly #requestTimeoutMs: number;
	readonly #retries: number;
	readonly #retryDelayMs: number;
	readonly #dispatcher: Dispatcher;
	readonly #ownsDispatcher: boolean;

	constructor(opts: ProxmoxClientOptions) {
		if (!URL.canParse(opts.url)) throw new Error(`proxmox: invalid url ${opts.url}`);
		this.url = opts.url.replace(/\/+$/, '').replace(/\/api2\/json$/, '');
		this.#apiBase = `${this.url}/api2/json`;
		this.#tokenId = opts.tokenId;
		this.#authHeader = `PVEAPIToken=${opts.tokenId}=${opts.tokenSecret}`;
		this.#requestTimeoutMs = opts.requestTimeoutMs ?? 15_000;
		this.#retries = Math.max(0, opts.retries ?? 2);
		this.#retryDelayMs = opts.retryDelayMs ?? 250;
		this.#ownsDispatcher = !opts.dispatcher;
		this.#dispatcher = opts.dispatcher ?? createDispatcher(opts.tls ?? {}, { connectTimeoutMs: Math.min(this.#requestTimeoutMs, 10_000) });
	}

	resetStats(): void {
		this.stats.total = 0;
		this.stats.byEndpoint = {};
	}

	/** Close this transport's connections (shutdown, tests); an injected dispatcher stays open. */
	async close(): Promise<void> {
		if (this.#ownsDispatcher) await this.#dispatcher.close();
	}

	async request<T>(method: Method, template: string, spec: RequestSpec<T>): Promise<{ data: T; total?: number }> {
		const vars = spec.vars ?? {};
		const ctx: RequestContext = { baseUrl: this.url, tokenId: this.#tokenId, method, template, vars };
		let url = this.#apiBase + fillTemplate(template, vars);
		if (spec.query) {
			const qs = toParams(spec.query).toString();
			if (qs) url += `?${qs}`;
		}
		const body = spec.form ? toParams(spec.form).toString() : undefined;
		const attempts = method === 'GET' ? this.#retries + 1 : 1;
		const key = `${method} ${template}`;

		for (let attempt = 1; ; attempt++) {
			this.stats.total++;
			this.stats.byEndpoint[key] = (this.stats.byEndpoint[key] ?? 0) + 1;
			try {
				return await this.#send(ctx, url, body, spec);
			} catch (err) {
				if (!(err instanceof ProxmoxError) || attempt >= attempts || !isRetryable(err)) throw err;
				await sleep(this.#retryDelayMs * 2 ** (attempt - 1), spec.signal);
			}
		}
	}

	async get<T>(template: string, schema: z.ZodType<T>, spec: Omit<RequestSpec<T>, 'schema'> = {}): Promise<T> {
		return (await this.request('GET', template, { ...spec, schema })).data;
	}

	async #send<T>(ctx: RequestContext, url: string, body: string | undefined, spec: RequestSpec<T>): Promise<{ data: T; total?: number }> {
		const timeout = AbortSignal.timeout(this.#requestTimeoutMs);
		const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
		const headers: Record<string, string> = { Authorization: this.#authHeader, Accept: 'application/json' };
		if (body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';

		let status: number;
		let statusText: string;
		let text: string;
		try {
			const res = await fetch(url, { method: ctx.method, headers, body, signal, dispatcher: this.#dispatcher });
			status = res.status;
			statusText = res.statusText;
			text = await res.text();
		} catch (err) {
			// The caller's own abort passes through untouched, so UI code can ignore it as an abort.
			if (spec.signal?.aborted) throw spec.signal.reason;
			if (timeout.aborted) throw requestTimeoutError(ctx, this.#requestTimeoutMs, err);
			throw errorFromTransport(ctx, err);
		}

		let json: unknown = undefined;
		let jsonOk = true;
		if (text.trim()) {
			try {
				json = JSON.parse(text);
			} catch {
				jsonOk = false;
			}
		}
		if (status < 200 || status >= 300) throw errorFromResponse(ctx, status, statusText, json);
		if (!jsonOk) throw invalidResponse(ctx, 'the body is not JSON', status);
		if (!json || typeof json !== 'object' || !('data' in json)) {
			throw invalidResponse(ctx, 'no "data" field in the answer', status);
		}
		const envelope = json as { data: unknown; total?: unknown };
		const parsed = spec.schema.safeParse(envelope.data);
		if (!parsed.success) throw invalidResponse(ctx, describeIssues(parsed.error), status);
		const total = typeof envelope.total === 'number' ? envelope.total : Number(envelope.total);
		return { data: parsed.data, total: Number.isFinite(total) ? total : undefined };
	}
}
