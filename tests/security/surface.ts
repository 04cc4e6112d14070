// Spyre's attack surface, found by reading the source tree rather than listed by hand, so a route added
// tomorrow is probed without anyone remembering to: every `+server.ts` (with the HTTP methods it
// exports), every page (`+page.svelte` / `+page.server.ts`, with its form actions), and the WebSocket
// paths the upgrade router declares. Plus raw HTTP helpers that can set Host, Origin and the source
// address, which fetch cannot.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/spyre';
import { WS_PATHS } from '../../src/lib/shared/socket-paths';

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type Method = (typeof METHODS)[number];

export interface Endpoint {
	/** The route id as SvelteKit names it, e.g. /api/environments/[id]/start. */
	id: string;
	/** A concrete path with every parameter filled in. */
	path: string;
	kind: 'api' | 'page';
	/** Which file answers: a `+server.ts` endpoint, or a page (its load or a form action). */
	source: 'endpoint' | 'page';
	method: Method;
	/** For page form actions: the action name (`default` for the unnamed one). */
	action?: string;
	params: string[];
}

/** A value for each route parameter; `[index]`-like params get a number. */
export function fillRoute(id: string, value: (param: string) => string = (p) => (/index|^n$|num/i.test(p) ? '0' : 'sec-probe')): { path: string; params: string[] } {
	const params: string[] = [];
	const segments = id
		.split('/')
		.filter((s) => s && !/^\(.+\)$/.test(s)) // route groups do not appear in the URL
		.map((s) =>
			s.replace(/\[\[?(\.\.\.)?([^\]=]+)(=[^\]]+)?\]\]?/g, (_m, _rest, name: string) => {
				params.push(name);
				return encodeURIComponent(value(name));
			})
		);
	return { path: '/' + segments.join('/'), params };
}

function exportedMethods(source: string): Method[] {
	return METHODS.filter((m) => new RegExp(`export\\s+(const|async\\s+function|function)\\s+${m}\\b`).test(source));
}

function actionNames(source: string): string[] {
	const block = /export\s+const\s+actions[^=]*=\s*\{([\s\S]*)\};?\s*$/m.exec(source)?.[1];
	if (!block) return [];
	// Top-level keys of the actions object: one tab of indentation in this code base's style.
	return [...block.matchAll(/^\t([A-Za-z_$][\w$]*)\s*:/gm)].map((m) => m[1]);
}

/** Walk src/routes and list every endpoint. */
export function walkRoutes(root = path.join(REPO_ROOT, 'src/routes')): Endpoint[] {
	const out: Endpoint[] = [];
	const visit = (dir: string) => {
		const entries = fs.readdirSync(dir, { withFileTypes: true });
		const id = '/' + path.relative(root, dir).split(path.sep).filter(Boolean).join('/');
		const { path: p, params } = fillRoute(id);
		const names = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
		const server = [...names].find((n) => /^\+server\.(ts|js)$/.test(n));
		if (server) {
			for (const method of exportedMethods(fs.readFileSync(path.join(dir, server), 'utf8'))) {
				out.push({ id, path: p, kind: p.startsWith('/api/') ? 'api' : 'page', source: 'endpoint', method, params });
			}
		}
		if ([...names].some((n) => /^\+page\.(svelte|server\.ts|ts)$/.test(n))) {
			out.push({ id, path: p, kind: 'page', source: 'page', method: 'GET', params });
			const pageServer = [...names].find((n) => /^\+page\.server\.(ts|js)$/.test(n));
			if (pageServer) {
				for (const action of actionNames(fs.readFileSync(path.join(dir, pageServer), 'utf8'))) {
					out.push({ id, path: p, kind: 'page', source: 'page', method: 'POST', action, params });
				}
			}
		}
		for (const e of entries) if (e.isDirectory()) visit(path.join(dir, e.name));
	};
	visit(root);
	return out;
}

/** The path of an endpoint's request (form actions get `?/name`). */
export function requestPath(e: Endpoint): string {
	return e.action && e.action !== 'default' ? `${e.path}?/${e.action}` : e.path;
}

/** The WebSocket paths the upgrade router serves (one list, $lib/shared/socket-paths), prefixes given an id. */
export function socketPaths(): string[] {
	return WS_PATHS.map((p) => (p.endsWith('/') ? `${p}sec-probe` : p));
}

export interface RawResponse {
	status: number;
	headers: http.IncomingHttpHeaders;
	body: string;
}

export interface RawRequest {
	method?: string;
	headers?: Record<string, string | undefined>;
	body?: string | Buffer;
	/** Source address (any 127.x works on Linux): a different client IP without trusting headers. */
	localAddress?: string;
	timeoutMs?: number;
}

/** One HTTP request with full control over Host, Origin and the source address; never follows redirects. */
export function raw(baseUrl: string, pathname: string, r: RawRequest = {}): Promise<RawResponse> {
	const u = new URL(baseUrl);
	const headers: Record<string, string | number> = {};
	for (const [k, v] of Object.entries(r.headers ?? {})) if (v !== undefined) headers[k] = v;
	if (r.body !== undefined) headers['content-length'] = Buffer.byteLength(r.body);
	return new Promise((resolve, reject) => {
		const req = http.request({ host: u.hostname, port: u.port, path: pathname, method: r.method ?? 'GET', headers, localAddress: r.localAddress, timeout: r.timeoutMs ?? 30_000 }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
			res.on('error', reject);
		});
		req.on('timeout', () => req.destroy(new Error(`timeout: ${r.method ?? 'GET'} ${pathname}`)));
		req.on('error', reject);
		if (r.body !== undefined) req.write(r.body);
		req.end();
	});
}

export type UpgradeOutcome = { status: number } | { destroyed: true };

/** Attempt a WebSocket upgrade by hand and report the HTTP status (101 when accepted) or a dropped socket. */
export function rawUpgrade(baseUrl: string, pathname: string, headers: Record<string, string | undefined> = {}): Promise<UpgradeOutcome> {
	const u = new URL(baseUrl);
	const h: Record<string, string> = {
		connection: 'Upgrade',
		upgrade: 'websocket',
		'sec-websocket-version': '13',
		'sec-websocket-key': Buffer.from('security-probe!!').toString('base64')
	};
	for (const [k, v] of Object.entries(headers)) if (v !== undefined) h[k] = v;
	return new Promise((resolve) => {
		const req = http.request({ host: u.hostname, port: u.port, path: pathname, headers: h, timeout: 15_000 });
		req.on('upgrade', (res, socket) => {
			socket.destroy();
			resolve({ status: res.statusCode ?? 0 });
		});
		req.on('response', (res) => {
			res.resume();
			resolve({ status: res.statusCode ?? 0 });
		});
		req.on('timeout', () => req.destroy());
		req.on('error', () => resolve({ destroyed: true }));
		req.end();
	});
}
