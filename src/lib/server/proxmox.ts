// The typed Proxmox VE REST client (facts in shared/docs/PROXMOX-API.md). Owns token auth, per-client TLS trust
// (CA or fingerprint pin), timeouts, safe retries, response validation, task polling and IP discovery.
// Must never: disable TLS verification process-wide, log or put the token secret into an error, retry a
// POST/DELETE (they are not idempotent) or a 401 (each costs ~3 s on real PVE).

import { fetch, type Dispatcher } from 'undici';
import { z } from 'zod';
import type {
	ClusterResource,
	CreateLxcParams,
	LxcConfig,
	LxcInterface,
	LxcStatus,
	LxcSummary,
	NodeInfo,
	ProxmoxVersion,
	StorageTemplate,
	TaskLog,
	TaskLogLine,
	TaskStatus,
	VmSummary
} from '$lib/types/proxmox';
import { getConfig, type SpyreConfig } from './env-config';
import { singleton } from './singleton';
import {
	errorFromResponse,
	errorFromTransport,
	formatMs,
	isTaskSuccess,
	ProxmoxError,
	ProxmoxTaskError,
	requestTimeoutError,
	type RequestContext
} from './proxmox/errors';
import { createLxcParams, toParams, type ParamValue } from './proxmox/params';
import { interfacesToIp } from './proxmox/interfaces';
import * as s from './proxmox/schemas';
import { createDispatcher, type ProxmoxTlsOptions } from './proxmox/tls';
import { parseUpid } from './proxmox/upid';

/** One CT snapshot as `GET …/snapshot` lists it. */
export interface LxcSnapshot {
	name: string;
	snaptime?: number;
	description?: string;
	parent?: string;
}

const snapshotSchema: z.ZodType<LxcSnapshot> = z
	.object({
		name: z.string(),
		snaptime: z.coerce.number().optional(),
		description: z.string().optional(),
		parent: z.string().optional()
	})
	.loose() as z.ZodType<LxcSnapshot>;

export { ProxmoxError, ProxmoxTaskError, isProxmoxError, isTaskSuccess, type ProxmoxErrorKind } from './proxmox/errors';
export { parseUpid, isUpid } from './proxmox/upid';
export { interfacesToIp } from './proxmox/interfaces';
export { parsePropertyString, createLxcParams } from './proxmox/params';
export { certFingerprint256, normaliseFingerprint, TlsPinError, type ProxmoxTlsOptions } from './proxmox/tls';

export interface ProxmoxClientOptions {
	/** `https://host:8006` (a trailing `/api2/json` is accepted too). */
	url: string;
	/** `USER@REALM!TOKENID` */
	tokenId: string;
	tokenSecret: string;
	tls?: ProxmoxTlsOptions;
	/** Per HTTP request, including reading the body. Default 15 s. */
	requestTimeoutMs?: number;
	/** Default deadline of waitForTask. Default 5 min. */
	taskTimeoutMs?: number;
	/** Default deadline of waitForIp. Default 2 min. */
	ipTimeoutMs?: number;
	/** Extra attempts for idempotent GETs after a network error or a transient 5xx. Default 2. */
	retries?: number;
	/** First retry delay, doubled each retry. Default 250 ms. */
	retryDelayMs?: number;
	/** Replaces the TLS-configured dispatcher (tests: an undici MockAgent). Not closed by close(). */
	dispatcher?: Dispatcher;
}

export interface CallOptions {
	signal?: AbortSignal;
}

export interface WaitForTaskOptions extends CallOptions {
	/** Deadline in ms; default the client's taskTimeoutMs. */
	timeout?: number;
	/** Called once per new log line, in order, as the task writes them. */
	onLog?: (line: TaskLogLine) => void;
	/** Poll interval: starts at `initialMs` (250), grows by 1.5x up to `maxMs` (2000). */
	poll?: { initialMs?: number; maxMs?: number };
}

export interface ProxmoxStats {
	/** HTTP requests sent, retries included. */
	total: number;
	/** Per `METHOD /path/{template}` (no query string), e.g. `GET /cluster/resources`. */
	byEndpoint: Record<string, number>;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

interface RequestSpec<T> {
	vars?: Record<string, string | number>;
	query?: Record<string, ParamValue>;
	form?: Record<string, ParamValue>;
	signal?: AbortSignal;
	schema: z.ZodType<T>;
}

const LOG_PAGE = 500;

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

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve, reject) => {
		if (signal?.aborted) return reject(signal.reason);
		const onAbort = () => {
			clearTimeout(timer);
			reject(signal!.reason);
		};
		const timer = setTimeout(() => {
			signal?.removeEventListener('abort', onAbort);
			resolve();
		}, ms);
		signal?.addEventListener('abort', onAbort, { once: true });
	});
}

function invalidResponse(ctx: RequestContext, detail: string, status?: number): ProxmoxError {
	return new ProxmoxError({
		kind: 'server',
		status,
		endpoint: `${ctx.method} ${ctx.template}`,
		message: `Proxmox sent an unexpected response to ${ctx.method} ${ctx.template}: ${detail}`
	});
}

/** Transient server trouble worth one more GET; a 501, a missing CT or an offline node is not. */
function isRetryable(err: ProxmoxError): boolean {
	if (err.kind === 'network') return true;
	return err.kind === 'server' && err.httpStatus !== undefined && err.httpStatus >= 500 && err.httpStatus !== 501;
}

export class ProxmoxClient {
	/** `https://host:8006`, for messages and links. */
	readonly url: string;
	readonly stats: ProxmoxStats = { total: 0, byEndpoint: {} };
	readonly taskTimeoutMs: number;
	readonly ipTimeoutMs: number;
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
		this.taskTimeoutMs = opts.taskTimeoutMs ?? 300_000;
		this.ipTimeoutMs = opts.ipTimeoutMs ?? 120_000;
		this.#retries = Math.max(0, opts.retries ?? 2);
		this.#retryDelayMs = opts.retryDelayMs ?? 250;
		this.#ownsDispatcher = !opts.dispatcher;
		this.#dispatcher =
			opts.dispatcher ?? createDispatcher(opts.tls ?? {}, { connectTimeoutMs: Math.min(this.#requestTimeoutMs, 10_000) });
	}

	static fromConfig(cfg: SpyreConfig['proxmox']): ProxmoxClient {
		return fromConfig(cfg);
	}

	resetStats(): void {
		this.stats.total = 0;
		this.stats.byEndpoint = {};
	}

	/** Close this client's connections (shutdown, tests). */
	async close(): Promise<void> {
		if (this.#ownsDispatcher) await this.#dispatcher.close();
	}

	// --- the core -------------------------------------------------------------------------------------------

	async #request<T>(method: Method, template: string, spec: RequestSpec<T>): Promise<{ data: T; total?: number }> {
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

	async #send<T>(
		ctx: RequestContext,
		url: string,
		body: string | undefined,
		spec: RequestSpec<T>
	): Promise<{ data: T; total?: number }> {
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
		if (!parsed.success) throw invalidResponse(ctx, s.describeIssues(parsed.error), status);
		const total = typeof envelope.total === 'number' ? envelope.total : Number(envelope.total);
		return { data: parsed.data, total: Number.isFinite(total) ? total : undefined };
	}

	async #get<T>(template: string, schema: z.ZodType<T>, spec: Omit<RequestSpec<T>, 'schema'> = {}): Promise<T> {
		return (await this.#request('GET', template, { ...spec, schema })).data;
	}

	// --- reads ----------------------------------------------------------------------------------------------

	/** Checks URL, TLS trust and token in one call (`GET /version`). */
	authenticate(opts: CallOptions = {}): Promise<ProxmoxVersion> {
		return this.#get('/version', s.versionSchema, opts);
	}

	listNodes(opts: CallOptions = {}): Promise<NodeInfo[]> {
		return this.#get('/nodes', z.array(s.nodeSchema), opts);
	}

	listLxc(node: string, opts: CallOptions = {}): Promise<LxcSummary[]> {
		return this.#get('/nodes/{node}/lxc', z.array(s.lxcSummarySchema), { ...opts, vars: { node } });
	}

	listVm(node: string, opts: CallOptions = {}): Promise<VmSummary[]> {
		return this.#get('/nodes/{node}/qemu', z.array(s.vmSummarySchema), { ...opts, vars: { node } });
	}

	/** Every guest of the cluster in one call (`GET /cluster/resources?type=vm`). */
	async clusterResources(opts: CallOptions = {}): Promise<ClusterResource[]> {
		const all = await this.#get('/cluster/resources', z.array(s.clusterResourceSchema), {
			...opts,
			query: { type: 'vm' }
		});
		return all.filter((r): r is ClusterResource => r !== null);
	}

	getLxcStatus(node: string, vmid: number, opts: CallOptions = {}): Promise<LxcStatus> {
		return this.#get('/nodes/{node}/lxc/{vmid}/status/current', s.lxcStatusSchema, { ...opts, vars: { node, vmid } });
	}

	getLxcConfig(node: string, vmid: number, opts: CallOptions = {}): Promise<LxcConfig> {
		return this.#get('/nodes/{node}/lxc/{vmid}/config', s.lxcConfigSchema, { ...opts, vars: { node, vmid } });
	}

	/** The CT's interfaces (PVE >= 8.1); `[]` while it is stopped (Proxmox sends `data: null`). */
	async getLxcInterfaces(node: string, vmid: number, opts: CallOptions = {}): Promise<LxcInterface[]> {
		const data = await this.#get('/nodes/{node}/lxc/{vmid}/interfaces', z.array(s.lxcInterfaceSchema).nullable(), {
			...opts,
			vars: { node, vmid }
		});
		return data ?? [];
	}

	/** The next free vmid, or `vmid` itself if free (a taken one is a 400 `params` error on `errors.vmid`). */
	getNextVmid(vmid?: number, opts: CallOptions = {}): Promise<number> {
		return this.#get('/cluster/nextid', s.nextIdSchema, { ...opts, query: { vmid } });
	}

	async listTemplates(node: string, storage: string, opts: CallOptions = {}): Promise<StorageTemplate[]> {
		const all = await this.#get('/nodes/{node}/storage/{storage}/content', z.array(s.storageTemplateSchema), {
			...opts,
			vars: { node, storage },
			query: { content: 'vztmpl' }
		});
		return all.filter((t): t is StorageTemplate => t !== null);
	}

	getTaskStatus(node: string, upid: string, opts: CallOptions = {}): Promise<TaskStatus> {
		return this.#get('/nodes/{node}/tasks/{upid}/status', s.taskStatusSchema, { ...opts, vars: { node, upid } });
	}

	/** One page of a task's log. `start` is 0-based (line `n` = start + 1); `limit` 0 reads to the end. */
	async getTaskLog(
		node: string,
		upid: string,
		opts: CallOptions & { start?: number; limit?: number } = {}
	): Promise<TaskLog> {
		const { data, total } = await this.#request('GET', '/nodes/{node}/tasks/{upid}/log', {
			schema: z.array(s.taskLogLineSchema),
			vars: { node, upid },
			query: { start: opts.start ?? 0, limit: opts.limit ?? 50 },
			signal: opts.signal
		});
		const lastN = data.length > 0 ? data[data.length - 1].n : 0;
		return { total: total ?? lastN, lines: data };
	}

	// --- writes (each returns the UPID of the task it started; never retried) ------------------------------

	async #task(
		method: 'POST' | 'DELETE',
		template: string,
		vars: Record<string, string | number>,
		params: Record<string, ParamValue>,
		signal?: AbortSignal
	): Promise<string> {
		// GET/DELETE take the query string only: a body on DELETE is a 501 on real PVE.
		const where = method === 'DELETE' ? { query: params } : { form: params };
		return (await this.#request(method, template, { ...where, vars, signal, schema: s.upidSchema })).data;
	}

	createLxc(node: string, params: CreateLxcParams, opts: CallOptions = {}): Promise<string> {
		return this.#task('POST', '/nodes/{node}/lxc', { node }, createLxcParams(params), opts.signal);
	}

	/** Destroys the CT with its disks and every reference (jobs, ACLs, HA). `force` stops a running CT first. */
	destroyLxc(node: string, vmid: number, opts: CallOptions & { force?: boolean } = {}): Promise<string> {
		return this.#task(
			'DELETE',
			'/nodes/{node}/lxc/{vmid}',
			{ node, vmid },
			{ purge: true, 'destroy-unreferenced-disks': true, force: opts.force ? true : undefined },
			opts.signal
		);
	}

	startLxc(node: string, vmid: number, opts: CallOptions = {}): Promise<string> {
		return this.#task('POST', '/nodes/{node}/lxc/{vmid}/status/start', { node, vmid }, {}, opts.signal);
	}

	/** Hard stop (like pulling the plug). */
	stopLxc(node: string, vmid: number, opts: CallOptions = {}): Promise<string> {
		return this.#task('POST', '/nodes/{node}/lxc/{vmid}/status/stop', { node, vmid }, {}, opts.signal);
	}

	/** Clean shutdown; `timeout` in seconds; `forceStop` kills it after the timeout instead of failing the task. */
	shutdownLxc(
		node: string,
		vmid: number,
		opts: CallOptions & { timeout?: number; forceStop?: boolean } = {}
	): Promise<string> {
		return this.#task(
			'POST',
			'/nodes/{node}/lxc/{vmid}/status/shutdown',
			{ node, vmid },
			{ timeout: opts.timeout, forceStop: opts.forceStop },
			opts.signal
		);
	}

	// --- snapshots (PROXMOX-API.md "Snapshots"; each write returns a UPID) ---------------------------------

	/** The CT's snapshots, oldest first, without the `current` ("you are here") entry. */
	async listSnapshots(node: string, vmid: number, opts: CallOptions = {}): Promise<LxcSnapshot[]> {
		const all = await this.#get('/nodes/{node}/lxc/{vmid}/snapshot', z.array(snapshotSchema), { ...opts, vars: { node, vmid } });
		return all.filter((snap) => snap.name !== 'current').sort((a, b) => (a.snaptime ?? 0) - (b.snaptime ?? 0));
	}

	/** `name`: a letter, then letters, digits, `_` or `-`; at most 40 characters. */
	createSnapshot(node: string, vmid: number, name: string, opts: CallOptions & { description?: string } = {}): Promise<string> {
		return this.#task('POST', '/nodes/{node}/lxc/{vmid}/snapshot', { node, vmid }, { snapname: name, description: opts.description }, opts.signal);
	}

	/** Roll the CT back (a running CT is stopped first); `start` starts it again afterwards. */
	rollbackSnapshot(node: string, vmid: number, name: string, opts: CallOptions & { start?: boolean } = {}): Promise<string> {
		return this.#task(
			'POST',
			'/nodes/{node}/lxc/{vmid}/snapshot/{snapname}/rollback',
			{ node, vmid, snapname: name },
			{ start: opts.start ? true : undefined },
			opts.signal
		);
	}

	deleteSnapshot(node: string, vmid: number, name: string, opts: CallOptions & { force?: boolean } = {}): Promise<string> {
		return this.#task('DELETE', '/nodes/{node}/lxc/{vmid}/snapshot/{snapname}', { node, vmid, snapname: name }, { force: opts.force ? true : undefined }, opts.signal);
	}

	// --- waiting --------------------------------------------------------------------------------------------

	/**
	 * Polls a task until it stops, streaming each new log line to `onLog`. Resolves with the final status when
	 * the exit status is `OK` or `WARNINGS: N`; otherwise throws a ProxmoxTaskError whose message is the exit
	 * status (e.g. `unable to create CT 101 - ...`). Past the deadline: a ProxmoxError of kind 'timeout'.
	 */
	async waitForTask(node: string, upid: string, opts: WaitForTaskOptions = {}): Promise<TaskStatus> {
		const timeoutMs = opts.timeout ?? this.taskTimeoutMs;
		const deadline = AbortSignal.timeout(timeoutMs);
		const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
		const initial = opts.poll?.initialMs ?? 250;
		const max = opts.poll?.maxMs ?? 2000;
		const tail: TaskLogLine[] = [];
		let seen = 0;

		const drainLog = async () => {
			for (;;) {
				const page = await this.getTaskLog(node, upid, { start: seen, limit: LOG_PAGE, signal });
				// PVE answers an empty log with a placeholder line 1 "no content": not a real line, do not count it.
				if (seen === 0 && page.lines.length === 1 && page.lines[0].t === 'no content' && page.total <= 1) return;
				let progressed = false;
				for (const line of page.lines) {
					if (line.n <= seen) continue; // a server that ignores `start` must not make us repeat lines
					seen = line.n;
					progressed = true;
					tail.push(line);
					if (tail.length > 50) tail.shift();
					opts.onLog?.(line);
				}
				if (!progressed || page.lines.length < LOG_PAGE || seen >= page.total) return;
			}
		};

		try {
			let delay = initial;
			for (;;) {
				const status = await this.getTaskStatus(node, upid, { signal });
				const stopped = status.status === 'stopped';
				const ok = stopped && isTaskSuccess(status.exitstatus);
				// Without a listener the log is only worth reading for a failure's last lines.
				if (opts.onLog || (stopped && !ok)) await drainLog();
				if (ok) return status;
				if (stopped) throw new ProxmoxTaskError(status, tail);
				await sleep(delay, signal);
				delay = Math.min(max, Math.round(delay * 1.5));
			}
		} catch (err) {
			if (opts.signal?.aborted) throw opts.signal.reason;
			if (deadline.aborted) {
				const u = parseUpid(upid);
				const what = u ? `${u.type}${u.id ? ` for ${u.id}` : ''}` : upid;
				throw new ProxmoxError({
					kind: 'timeout',
					cause: err,
					endpoint: 'GET /nodes/{node}/tasks/{upid}/status',
					message: `Proxmox task ${what} on node ${node} did not finish within ${formatMs(timeoutMs)} (${upid}).`
				});
			}
			throw err;
		}
	}

	/**
	 * Waits until the CT reports an IPv4 address on a non-loopback interface (DHCP leases are only visible via
	 * `/interfaces`, PVE >= 8.1). A static `ip=` from the create parameters needs no waiting: use it directly.
	 */
	async waitForIp(
		node: string,
		vmid: number,
		opts: CallOptions & { timeout?: number; intervalMs?: number } = {}
	): Promise<string> {
		const timeoutMs = opts.timeout ?? this.ipTimeoutMs;
		const deadline = AbortSignal.timeout(timeoutMs);
		const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
		let delay = opts.intervalMs ?? 500;
		try {
			for (;;) {
				const ip = interfacesToIp(await this.getLxcInterfaces(node, vmid, { signal }));
				if (ip) return ip;
				await sleep(delay, signal);
				delay = Math.min(delay * 2, 3000);
			}
		} catch (err) {
			if (opts.signal?.aborted) throw opts.signal.reason;
			if (deadline.aborted) {
				throw new ProxmoxError({
					kind: 'timeout',
					cause: err,
					endpoint: 'GET /nodes/{node}/lxc/{vmid}/interfaces',
					message: `CT ${vmid} on node ${node} reported no IPv4 address within ${formatMs(timeoutMs)}; is it running and does DHCP answer on its bridge?`
				});
			}
			throw err;
		}
	}
}

/** A client configured from environment.yaml's `proxmox` section. */
export function fromConfig(cfg: SpyreConfig['proxmox']): ProxmoxClient {
	return new ProxmoxClient({
		url: cfg.url,
		tokenId: cfg.tokenId,
		tokenSecret: cfg.tokenSecret,
		tls: { ca: cfg.tls.ca, fingerprint: cfg.tls.fingerprint },
		requestTimeoutMs: cfg.requestTimeoutMs,
		taskTimeoutMs: cfg.taskTimeoutMs,
		ipTimeoutMs: cfg.ipTimeoutMs
	});
}

/** The process-wide client. */
export function getProxmox(): ProxmoxClient {
	return singleton('proxmox', () => fromConfig(getConfig().proxmox));
}
