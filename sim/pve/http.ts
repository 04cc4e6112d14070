// The API's HTTP layer: routing under /api2/json, body decoding (form and JSON), token auth with its
// delay, and the Proxmox envelope: `{"data": ...}` on success, the message in the reason phrase plus
// `{"data":null,"message":"...\n"}` on errors. Knows no endpoint semantics; those live in api.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeForm, validate, type Raw, type Schema, type Values } from './params';

export class ApiError extends Error {
	constructor(
		readonly status: number,
		message: string,
		readonly errors?: Record<string, string>
	) {
		super(message);
	}
}

export const paramError = (errors: Record<string, string>): ApiError => new ApiError(400, 'Parameter verification failed.', errors);

export interface RequestContext {
	method: string;
	/** Path relative to /api2/json, e.g. `/nodes/pve/lxc`. */
	path: string;
	params: Values;
}

export interface Result {
	data: unknown;
	/** Extra top-level members next to `data` (the task log's `total`). */
	extra?: Record<string, unknown>;
}

export interface Route {
	method: 'GET' | 'POST' | 'PUT' | 'DELETE';
	path: string;
	schema: Schema;
	handler: (ctx: RequestContext) => Promise<Result> | Result;
}

export type AuthResult = 'ok' | 'missing' | 'wrong';

export interface ApiOptions {
	routes: Route[];
	authenticate: (header: string | undefined) => AuthResult;
	authDelayMs: number;
	/** Runs first on every request (latency fault). */
	beforeAll?: () => Promise<void>;
	/** Runs after routing with the path parameters (node offline / unknown node checks). */
	beforeRoute?: (pathParams: Record<string, string>) => void;
	/** Told every authenticated request, as `METHOD /route/{template}` (benchmarks count calls with it). */
	onRequest?: (endpoint: string) => void;
}

const PREFIX = '/api2/json';

/** Reason phrases are one line of latin1 without control characters (Node rejects anything else). */
export function reasonPhrase(msg: string): string {
	return msg
		.replace(/\s*\n\s*/g, ' ')
		.replace(/[^\t\x20-\x7e\xa0-\xff]/g, '?')
		.trim()
		.slice(0, 512);
}

function send(res: ServerResponse, status: number, body: string | null, reason?: string): void {
	res.statusCode = status;
	if (reason !== undefined) res.statusMessage = reasonPhrase(reason);
	res.setHeader('Server', 'pve-api-daemon/3.0');
	res.setHeader('Cache-Control', 'max-age=0');
	res.setHeader('Pragma', 'no-cache');
	res.setHeader('Expires', new Date().toUTCString());
	if (body === null) {
		res.setHeader('Content-Length', '0');
		res.end();
		return;
	}
	res.setHeader('Content-Type', 'application/json;charset=UTF-8');
	res.setHeader('Content-Length', String(Buffer.byteLength(body)));
	res.end(body);
}

export function sendError(res: ServerResponse, err: ApiError): void {
	const body: Record<string, unknown> = { data: null, message: `${err.message.replace(/\n+$/, '')}\n` };
	if (err.errors) body.errors = err.errors;
	send(res, err.status, JSON.stringify(body), err.message);
}

function matchRoute(routes: Route[], method: string, path: string): { route: Route; params: Record<string, string> } | null {
	const segs = path.split('/').filter((s) => s !== '');
	for (const route of routes) {
		if (route.method !== method) continue;
		const tpl = route.path.split('/').filter((s) => s !== '');
		if (tpl.length !== segs.length) continue;
		const params: Record<string, string> = {};
		let ok = true;
		for (let i = 0; i < tpl.length && ok; i++) {
			const m = /^\{(.+)\}$/.exec(tpl[i]);
			if (m) {
				try {
					params[m[1]] = decodeURIComponent(segs[i]);
				} catch {
					params[m[1]] = segs[i];
				}
			} else ok = tpl[i] === segs[i];
		}
		if (ok) return { route, params };
	}
	return null;
}

async function readBody(req: IncomingMessage): Promise<string> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const c of req) {
		size += (c as Buffer).length;
		if (size > 1024 * 1024) throw new ApiError(413, 'request entity too large');
		chunks.push(c as Buffer);
	}
	return Buffer.concat(chunks).toString('utf8');
}

function decodeBody(contentType: string | undefined, text: string): Raw {
	if (text.trim() === '') return {};
	if ((contentType ?? '').toLowerCase().startsWith('application/json')) {
		let parsed: unknown;
		try {
			parsed = JSON.parse(text);
		} catch (err) {
			throw new ApiError(400, `malformed JSON string: ${err instanceof Error ? err.message : String(err)}`);
		}
		if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ApiError(400, 'malformed JSON string: expected an object');
		return parsed as Raw;
	}
	return decodeForm(text);
}

export function createApiHandler(opts: ApiOptions): (req: IncomingMessage, res: ServerResponse) => void {
	const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
	return (req, res) => {
		void (async () => {
			const method = req.method ?? 'GET';
			const url = new URL(req.url ?? '/', 'https://sim.invalid');
			const fullPath = url.pathname.replace(/\/+$/, '') || '/';
			try {
				await opts.beforeAll?.();
				if (fullPath !== PREFIX && !fullPath.startsWith(`${PREFIX}/`)) throw new ApiError(501, `Method '${method} ${fullPath}' not implemented`);
				const path = fullPath.slice(PREFIX.length) || '/';
				const auth = opts.authenticate(req.headers.authorization);
				if (auth !== 'ok') {
					req.resume();
					await sleep(opts.authDelayMs);
					send(res, 401, null, auth === 'missing' ? 'No ticket' : 'Authentication failed!');
					return;
				}
				const bodyText = await readBody(req);
				if ((method === 'GET' || method === 'DELETE') && bodyText.length > 0) throw new ApiError(501, `Unexpected content for method '${method}'`);
				const found = matchRoute(opts.routes, method, path);
				opts.onRequest?.(found ? `${method} ${found.route.path}` : `${method} (unknown path)`);
				if (!found) throw new ApiError(501, `Method '${method} ${path}' not implemented`);
				opts.beforeRoute?.(found.params);
				const raw: Raw = { ...decodeForm(url.search.slice(1)), ...decodeBody(req.headers['content-type'], bodyText), ...found.params };
				const checked = validate(found.route.schema, raw);
				if (!checked.ok) throw paramError(checked.errors);
				const result = await found.route.handler({ method, path, params: checked.values });
				send(res, 200, JSON.stringify({ data: result.data ?? null, ...result.extra }));
			} catch (err) {
				if (err instanceof ApiError) sendError(res, err);
				else {
					const msg = err instanceof Error ? err.message : String(err);
					sendError(res, new ApiError(500, msg));
				}
			}
		})();
	};
}
