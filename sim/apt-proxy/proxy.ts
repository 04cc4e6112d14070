// The demo's package proxy: a small caching HTTP forward proxy that apt in the simulator's CTs uses
// (provision.apt_proxy), and on the same listener a read-only mirror of the npm registry
// (provision.npm_registry; npm.ts says how the two are told apart), listening on the simulator's gateway.
// Its cache is cache.ts's (bounded in size, least recently used files go first). One listener rather than two: one gateway port exposed to CTs, one process, one
// cache, and the same refusal rules.
// It must never fetch anything but Debian's archive and registry.npmjs.org (npm.ts). An apt request is served only when it names
// http://deb.debian.org/debian/…, …/debian-security/… (or security.debian.org/debian-security/…) with a
// plain path; it is fetched from https://deb.debian.org (TLS to the real archive, whatever the CT asked),
// and everything else — other hosts, CONNECT tunnels, odd paths, methods other than GET/HEAD — is refused
// without any outbound traffic. Why not apt-cacher-ng: its Debian package installs and starts a system
// service listening on every address of the machine (a proxy for whatever can reach it), and its
// "managed repositories only" setup is several files of remap rules; this is one auditable allowlist.
import { closeSync, createReadStream, createWriteStream, fstatSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openDiskCache } from './cache';
import { ABBREVIATED, NPM_UPSTREAM, npmRoute, rewriteTarballs } from './npm';

export const UPSTREAM = 'https://deb.debian.org';
/** Index files (dists/…) and npm package documents are served from the cache for this long before they are fetched again. */
export const INDEX_MAX_AGE_MS = 5 * 60_000;
/** The cache's default bound: dev-web's packages with Debian's indexes took 121 MB (bench provision, cold). */
export const DEFAULT_MAX_CACHE_BYTES = 2 * 1024 ** 3;

const ARCHIVES: Record<string, string[]> = {
	'deb.debian.org': ['debian', 'debian-security'],
	'security.debian.org': ['debian-security']
};

/** A path segment of an archive file, decoded: what Debian's file names and dists paths are made of. */
const SEGMENT = /^[A-Za-z0-9._~+-]+$/;

export type Route = { ok: true; upstreamPath: string; immutable: boolean } | { ok: false; status: number; reason: string };

/**
 * Where a proxy request may go: the archive path on deb.debian.org, and whether its content never changes
 * (pool files and by-hash indexes) — or why it is refused.
 */
export function route(method: string | undefined, target: string | undefined): Route {
	if (method === 'CONNECT') return { ok: false, status: 405, reason: 'no tunnels: this proxy serves Debian archive files over http only' };
	if (method !== 'GET' && method !== 'HEAD') return { ok: false, status: 405, reason: 'only GET and HEAD' };
	let url: URL;
	try {
		url = new URL(target ?? '');
	} catch {
		return { ok: false, status: 400, reason: 'a proxy request names an absolute http:// URL' };
	}
	if (url.protocol !== 'http:' || url.username || url.password || url.port || url.search || url.hash) return { ok: false, status: 403, reason: 'only plain http://deb.debian.org/... URLs' };
	const archives = ARCHIVES[url.hostname.toLowerCase()];
	const [, archive, ...rest] = url.pathname.split('/');
	if (!archives || !archives.includes(archive) || rest.length === 0) return { ok: false, status: 403, reason: "only Debian's archive (deb.debian.org/debian, /debian-security)" };
	// apt escapes what is not URL-safe in a file name: a version's `+` arrives as %2b
	// (libevent-core-2.1-7_2.1.12-stable-8%2bdeb12u1_amd64.deb). Each segment is checked decoded, so an
	// escaped `/`, `.` or `..` cannot slip through, and re-escaped the one way for upstream and the cache
	// key, so `+`, %2b and %2B are one file.
	const segments: string[] = [];
	for (const raw of rest) {
		let s: string;
		try {
			s = decodeURIComponent(raw);
		} catch {
			return { ok: false, status: 400, reason: `bad %-escape in the path segment ${JSON.stringify(raw)}` };
		}
		if (!SEGMENT.test(s) || s === '.' || s === '..') return { ok: false, status: 403, reason: `odd path segment ${JSON.stringify(raw)} (letters, digits and . _ ~ + - only)` };
		segments.push(s);
	}
	const path = segments.join('/');
	const immutable = /^pool\//.test(path) || /\/by-hash\//.test(path);
	return { ok: true, upstreamPath: `/${archive}/${segments.map(encodeURIComponent).join('/')}`, immutable };
}

/** A status line's reason phrase for a refusal: printable ASCII only (it is a header-like field). */
export function refusedPhrase(reason: string): string {
	return `Refused by the package proxy: ${reason}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}

/** Until `res` can take more (or the client went away); the listeners go either way. */
function drained(res: ServerResponse): Promise<void> {
	return new Promise<void>((resolve) => {
		const done = () => {
			res.off('drain', done);
			res.off('close', done);
			resolve();
		};
		res.on('drain', done);
		res.on('close', done);
	});
}

export interface AptProxy {
	url: string;
	port: number;
	/** Requests served from the cache, fetched upstream, and refused (for tests and the demo's log). */
	stats: { hit: number; miss: number; refused: number };
	stop(): Promise<void>;
}

export async function startAptProxy(o: {
	host: string;
	port: number;
	cacheDir: string;
	/** The cache directory's bound in bytes (least recently used files go past it); DEFAULT_MAX_CACHE_BYTES when omitted. */
	maxCacheBytes?: number;
	/** Tests only: another origin standing in for https://deb.debian.org (the same paths). */
	upstream?: string;
	/** Tests only: another origin standing in for https://registry.npmjs.org (the same paths). */
	npmUpstream?: string;
	log?: (line: string) => void;
}): Promise<AptProxy> {
	const upstream = o.upstream ?? UPSTREAM;
	const npmUpstream = o.npmUpstream ?? NPM_UPSTREAM;
	const log = o.log ?? (() => undefined);
	const cache = openDiskCache(o.cacheDir, o.maxCacheBytes ?? DEFAULT_MAX_CACHE_BYTES, log);
	const stats = { hit: 0, miss: 0, refused: 0 };

	function refuse(req: IncomingMessage, res: ServerResponse, status: number, reason: string): void {
		stats.refused++;
		log(`REFUSED ${status} ${req.method} ${String(req.url).slice(0, 200)}: ${reason}`);
		// The reason goes into the status line too: apt prints only that ("403  Refused by …"), never the
		// body, so this is what the owner reads in the step's output.
		res.writeHead(status, refusedPhrase(reason), { 'content-type': 'text/plain' });
		res.end(`${reason}\n`);
	}

	/** Serve a cached copy when it is there and fresh; true when it did. */
	async function fromCache(req: IncomingMessage, res: ServerResponse, key: string, immutable: boolean, contentType: string, transform?: (text: string) => string): Promise<boolean> {
		const file = cache.fresh(key, immutable ? null : INDEX_MAX_AGE_MS);
		if (!file) return false;
		let fd: number;
		try {
			fd = openSync(file, 'r');
		} catch {
			return false; // pruned (by another proxy sharing the directory) since: fetch it again
		}
		stats.hit++;
		log(`HIT ${key}`);
		if (transform || req.method === 'HEAD') {
			const body = transform ? Buffer.from(transform(readFileSync(fd, 'utf8'))) : null;
			const length = body ? body.length : fstatSync(fd).size;
			closeSync(fd);
			res.writeHead(200, { 'content-type': contentType, 'content-length': length });
			res.end(req.method === 'HEAD' ? undefined : body);
			return true;
		}
		res.writeHead(200, { 'content-type': contentType, 'content-length': fstatSync(fd).size });
		await pipeline(createReadStream('', { fd }), res);
		return true;
	}

	/** Fetch from upstream; a 404 is passed on, any other failure is a 502. Null when answered already. */
	async function fetchUpstream(res: ServerResponse, url: string, method: string, accept?: string): Promise<Response | null> {
		const up = await fetch(url, { method, redirect: 'error', headers: accept ? { accept } : {} });
		if (up.ok && up.body) return up;
		const status = up.status === 404 ? 404 : 502;
		log(`UPSTREAM ${up.status} ${url}`);
		res.writeHead(status, `${status === 404 ? 'Not Found' : 'Bad Gateway'} (upstream answered ${up.status})`, { 'content-type': 'text/plain' });
		res.end(`upstream answered ${up.status}\n`);
		return null;
	}

	/** Stream an upstream body to the client and into a temp file; only a complete body becomes the cached copy. */
	async function streamAndCache(req: IncomingMessage, res: ServerResponse, up: Response, key: string): Promise<void> {
		const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
		// fetch() undoes a content-encoding, so upstream's length is only the body's when there is none.
		const len = up.headers.get('content-encoding') ? null : up.headers.get('content-length');
		if (len && /^\d+$/.test(len)) headers['content-length'] = len;
		res.writeHead(200, headers);
		if (req.method === 'HEAD') return void res.end();
		const tmp = cache.tempFor(key);
		const out = createWriteStream(tmp, { mode: 0o600 });
		// A cache that cannot be written (disk full, directory gone) costs the copy, never the client's answer.
		let cacheError: Error | null = null;
		out.on('error', (err) => (cacheError ??= err));
		let gone = false;
		res.once('close', () => (gone = true));
		try {
			for await (const chunk of Readable.fromWeb(up.body as import('node:stream/web').ReadableStream<Uint8Array>)) {
				if (gone) throw new Error('client went away');
				if (!cacheError) out.write(chunk);
				if (!res.write(chunk)) await drained(res);
			}
			if (!cacheError) await new Promise<void>((resolve) => out.end(() => resolve()));
			try {
				if (!cacheError && (!len || statSync(tmp).size === Number(len))) cache.commit(tmp, key);
			} catch (err) {
				cacheError = err as Error;
			}
			if (cacheError) log(`NOT CACHED ${key}: ${(cacheError as Error).message}`);
			res.end();
		} finally {
			out.destroy();
			rmSync(tmp, { force: true });
		}
	}

	async function handleApt(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const r = route(req.method, req.url);
		if (!r.ok) return refuse(req, res, r.status, r.reason);
		if (await fromCache(req, res, r.upstreamPath, r.immutable, 'application/octet-stream')) return;
		stats.miss++;
		log(`MISS ${r.upstreamPath}`);
		const up = await fetchUpstream(res, `${upstream}${r.upstreamPath}`, req.method!);
		if (up) await streamAndCache(req, res, up, r.upstreamPath);
	}

	async function handleNpm(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const r = npmRoute(req.method, req.url ?? '', req.headers.accept);
		if (!r.ok) return refuse(req, res, r.status, r.reason);
		if (r.kind === 'tarball') {
			// A published version's tarball never changes (npm refuses to republish a version).
			const key = `npm:${r.upstreamPath}`;
			if (await fromCache(req, res, key, true, 'application/octet-stream')) return;
			stats.miss++;
			log(`MISS npm ${r.upstreamPath}`);
			const up = await fetchUpstream(res, `${npmUpstream}${r.upstreamPath}`, 'GET');
			if (up) await streamAndCache(req, res, up, key);
			return;
		}
		// Package documents are small enough to hold: their tarball URLs are rewritten to this mirror.
		const accept = r.abbreviated ? ABBREVIATED : 'application/json';
		const key = `npm:${r.abbreviated ? 'abbreviated' : 'full'}:${r.upstreamPath}`;
		const rewrite = (text: string) => rewriteTarballs(text, req.headers.host);
		if (await fromCache(req, res, key, false, 'application/json', rewrite)) return;
		stats.miss++;
		log(`MISS npm ${r.upstreamPath}${r.abbreviated ? ' (abbreviated)' : ''}`);
		const up = await fetchUpstream(res, `${npmUpstream}${r.upstreamPath}`, 'GET', accept);
		if (!up) return;
		const text = await up.text();
		const tmp = cache.tempFor(key);
		writeFileSync(tmp, text, { mode: 0o600 });
		cache.commit(tmp, key);
		const body = Buffer.from(rewrite(text));
		res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
		res.end(body);
	}

	/** An absolute-form target is a forward-proxy request (apt); an origin-form one is for the npm mirror. */
	async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		if ((req.url ?? '').startsWith('/')) await handleNpm(req, res);
		else await handleApt(req, res);
	}

	const server: Server = createServer((req, res) => {
		handle(req, res).catch((err: unknown) => {
			const why = err instanceof Error ? err.message : String(err);
			log(`ERROR ${req.url}: ${why}`);
			if (!res.headersSent) res.writeHead(502, `Bad Gateway (${why})`.replace(/[^\x20-\x7e]/g, '?').slice(0, 200), { 'content-type': 'text/plain' });
			res.end();
		});
	});
	// A CONNECT request never reaches the request handler: refuse it here, without a tunnel.
	server.on('connect', (req, socket) => {
		const r = route('CONNECT', req.url);
		const reason = r.ok ? '' : r.reason;
		stats.refused++;
		log(`REFUSED 405 CONNECT ${String(req.url).slice(0, 200)}: ${reason}`);
		socket.end(`HTTP/1.1 405 ${refusedPhrase(reason)}\r\nContent-Length: 0\r\n\r\n`);
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(o.port, o.host, () => resolve());
	});
	const port = (server.address() as import('node:net').AddressInfo).port;
	return {
		url: `http://${o.host}:${port}`,
		port,
		stats,
		stop: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			})
	};
}
