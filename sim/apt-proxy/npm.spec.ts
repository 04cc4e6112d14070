import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ABBREVIATED, npmRoute, rewriteTarballs } from './npm';
import { startAptProxy, type AptProxy } from './proxy';

describe('npmRoute', () => {
	it('allows package documents and tarballs, scoped or not', () => {
		expect(npmRoute('GET', '/left-pad')).toEqual({ ok: true, kind: 'packument', upstreamPath: '/left-pad', abbreviated: false });
		expect(npmRoute('GET', '/left-pad', `${ABBREVIATED}; q=1.0, application/json; q=0.8, */*`)).toMatchObject({ abbreviated: true });
		expect(npmRoute('GET', '/@anthropic-ai%2fclaude-code')).toMatchObject({ ok: true, kind: 'packument', upstreamPath: '/@anthropic-ai%2fclaude-code' });
		expect(npmRoute('GET', '/@anthropic-ai%2Fclaude-code')).toMatchObject({ ok: true, upstreamPath: '/@anthropic-ai%2fclaude-code' });
		expect(npmRoute('GET', '/@types/node')).toMatchObject({ ok: true, upstreamPath: '/@types%2fnode' });
		expect(npmRoute('GET', '/JSONStream')).toMatchObject({ ok: true, upstreamPath: '/JSONStream' });
		expect(npmRoute('GET', '/left-pad/-/left-pad-1.3.0.tgz')).toEqual({ ok: true, kind: 'tarball', upstreamPath: '/left-pad/-/left-pad-1.3.0.tgz' });
		expect(npmRoute('GET', '/@types/node/-/node-22.0.0.tgz')).toEqual({ ok: true, kind: 'tarball', upstreamPath: '/@types/node/-/node-22.0.0.tgz' });
		expect(npmRoute('GET', '/@types%2fnode/-/node-22.0.0.tgz')).toMatchObject({ ok: true, upstreamPath: '/@types/node/-/node-22.0.0.tgz' });
	});

	it.each([
		['POST', '/-/npm/v1/security/advisories/bulk', 405],
		['PUT', '/left-pad', 405],
		['HEAD', '/left-pad', 405],
		['DELETE', '/left-pad/-rev/1', 405],
		['GET', '/', 403],
		['GET', '/-/v1/search', 403],
		['GET', '/-/whoami', 403],
		['GET', '/-/npm/v1/user', 403],
		['GET', '/left-pad?write=true', 403],
		['GET', '/left-pad#x', 403],
		['GET', '/left-pad/1.3.0', 403],
		['GET', '/..', 403],
		['GET', '/.hidden', 403],
		['GET', '/_design', 403],
		['GET', '/%2e%2e/etc/passwd', 403],
		['GET', '/..%2f..%2fetc%2fpasswd', 403],
		['GET', '/left-pad/-/../../etc/passwd', 403],
		['GET', '/left-pad/-/..tgz', 403],
		['GET', '/left-pad/-/x.tar', 403],
		['GET', '/left-pad/-/a%00.tgz', 403],
		['GET', '/@scope', 403],
		['GET', '/@/x', 403],
		['GET', '/a/b/c/d/e', 403],
		['GET', '//evil.example/x', 403]
	])('%s %s is refused (%i)', (method, target, status) => {
		expect(npmRoute(method, target)).toMatchObject({ ok: false, status });
	});
});

describe('rewriteTarballs', () => {
	const doc = '{"versions":{"1.0.0":{"dist":{"tarball":"https://registry.npmjs.org/a/-/a-1.0.0.tgz"}}},"readme":"see https://registry.npmjs.org/a"}';

	it('points tarball URLs at the mirror the client used, and nothing else', () => {
		expect(rewriteTarballs(doc, '10.213.4.1:3142')).toBe(doc.replace('"tarball":"https://registry.npmjs.org/', '"tarball":"http://10.213.4.1:3142/'));
	});

	it('leaves the document alone without a plain Host', () => {
		for (const host of [undefined, '', 'evil"host', 'a/b', 'x y', 'h:1/"']) expect(rewriteTarballs(doc, host)).toBe(doc);
	});
});

describe('the npm mirror of startAptProxy against a stand-in registry', () => {
	let upstream: Server;
	let proxy: AptProxy;
	let cache: string;
	const hits: Array<{ url: string; accept: string }> = [];
	const TARBALL = Buffer.from('tarball-bytes');

	beforeAll(async () => {
		cache = mkdtempSync(join(tmpdir(), 'npm-proxy-spec-'));
		upstream = createServer((req, res) => {
			hits.push({ url: req.url ?? '', accept: String(req.headers.accept ?? '') });
			if (req.url === '/tiny' || req.url === '/@s%2ftiny') {
				const abbreviated = String(req.headers.accept).includes(ABBREVIATED);
				res.writeHead(200, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ name: 'tiny', abbreviated, versions: { '1.0.0': { dist: { tarball: 'https://registry.npmjs.org/tiny/-/tiny-1.0.0.tgz' } } } }));
			} else if (req.url === '/tiny/-/tiny-1.0.0.tgz') {
				res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': TARBALL.length });
				res.end(TARBALL);
			} else {
				res.writeHead(404);
				res.end();
			}
		});
		await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
		proxy = await startAptProxy({ host: '127.0.0.1', port: 0, cacheDir: cache, npmUpstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` });
	});
	afterAll(async () => {
		await proxy?.stop();
		await new Promise<void>((r) => upstream.close(() => r()));
		rmSync(cache, { recursive: true, force: true });
	});

	function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: Buffer }> {
		return new Promise((resolve, reject) => {
			const req = request({ host: '127.0.0.1', port: proxy.port, method, path, headers }, (res) => {
				const chunks: Buffer[] = [];
				res.on('data', (b: Buffer) => chunks.push(b));
				res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
			});
			req.on('error', reject);
			req.end();
		});
	}

	it('fetches a document once per kind, then serves it from the cache, with tarball URLs on the mirror', async () => {
		const before = hits.length;
		const host = `127.0.0.1:${proxy.port}`;
		const full = await get('/tiny');
		expect(full.status).toBe(200);
		const doc = JSON.parse(full.body.toString()) as { abbreviated: boolean; versions: Record<string, { dist: { tarball: string } }> };
		expect(doc.abbreviated).toBe(false);
		expect(doc.versions['1.0.0'].dist.tarball).toBe(`http://${host}/tiny/-/tiny-1.0.0.tgz`);
		const abbreviated = await get('/tiny', { accept: `${ABBREVIATED}; q=1.0, application/json; q=0.8, */*` });
		expect(JSON.parse(abbreviated.body.toString())).toMatchObject({ abbreviated: true });
		expect((await get('/tiny')).body.equals(full.body)).toBe(true);
		// The cached copy is upstream's: another Host gets its own rewrite.
		expect(JSON.parse((await get('/tiny', { host: '10.213.4.1:3142' })).body.toString()).versions['1.0.0'].dist.tarball).toBe('http://10.213.4.1:3142/tiny/-/tiny-1.0.0.tgz');
		expect(hits.slice(before).map((h) => [h.url, h.accept.includes(ABBREVIATED)])).toEqual([
			['/tiny', false],
			['/tiny', true]
		]);
	});

	it('fetches a tarball once, then serves it from the cache', async () => {
		const before = hits.length;
		const cached = () => readdirSync(cache).filter((f) => !f.includes('.tmp-')).length;
		const files = cached();
		expect(await get('/tiny/-/tiny-1.0.0.tgz')).toEqual({ status: 200, body: TARBALL });
		// The client has every byte a moment before the complete copy is renamed into the cache.
		for (const end = Date.now() + 5000; cached() === files && Date.now() < end;) await new Promise((r) => setTimeout(r, 10));
		const hitsBefore = proxy.stats.hit;
		expect(await get('/tiny/-/tiny-1.0.0.tgz')).toEqual({ status: 200, body: TARBALL });
		expect(proxy.stats.hit).toBe(hitsBefore + 1);
		expect(hits.slice(before).map((h) => h.url)).toEqual(['/tiny/-/tiny-1.0.0.tgz']);
	});

	it('passes a 404 on, and refuses other methods, paths and traversal without asking upstream', async () => {
		const before = hits.length;
		expect((await get('/no-such-package')).status).toBe(404);
		expect(hits.length).toBe(before + 1);
		const refusedBefore = proxy.stats.refused;
		expect((await get('/-/npm/v1/security/advisories/bulk', {}, 'POST')).status).toBe(405);
		expect((await get('/-/v1/search')).status).toBe(403);
		expect((await get('/..%2f..%2fetc%2fpasswd')).status).toBe(403);
		expect((await get('/tiny/-/../../../etc/passwd')).status).toBe(403);
		expect((await get('/')).status).toBe(403);
		expect(hits.length).toBe(before + 1);
		expect(proxy.stats.refused).toBe(refusedBefore + 5);
	});
});
