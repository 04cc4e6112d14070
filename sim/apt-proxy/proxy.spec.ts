import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { route, startAptProxy, type AptProxy } from './proxy';

describe('route', () => {
	it("allows Debian's archive only, over plain http paths", () => {
		expect(route('GET', 'http://deb.debian.org/debian/dists/bookworm/InRelease')).toEqual({ ok: true, upstreamPath: '/debian/dists/bookworm/InRelease', immutable: false });
		expect(route('GET', 'http://deb.debian.org/debian/pool/main/n/nginx/nginx_1.22.1-9_amd64.deb')).toMatchObject({ ok: true, immutable: true });
		expect(route('GET', 'http://security.debian.org/debian-security/dists/bookworm-security/main/binary-amd64/by-hash/SHA256/ab12')).toMatchObject({
			ok: true,
			upstreamPath: '/debian-security/dists/bookworm-security/main/binary-amd64/by-hash/SHA256/ab12',
			immutable: true
		});
		expect(route('HEAD', 'http://deb.debian.org/debian/dists/bookworm/Release')).toMatchObject({ ok: true });
	});

	it("takes apt's %-escapes (a version's + arrives as %2b) and names one upstream file for every spelling", () => {
		const pool = '/debian-security/pool/updates/main/libe/libevent/libevent-core-2.1-7_2.1.12-stable-8%2Bdeb12u1_amd64.deb';
		for (const spelling of ['%2b', '%2B', '+'])
			expect(route('GET', `http://security.debian.org/debian-security/pool/updates/main/libe/libevent/libevent-core-2.1-7_2.1.12-stable-8${spelling}deb12u1_amd64.deb`)).toEqual({
				ok: true,
				upstreamPath: pool,
				immutable: true
			});
		expect(route('GET', 'http://deb.debian.org/debian/pool/main/g/gcc-12/g%2b%2b-12_12.2.0-14_amd64.deb')).toMatchObject({
			ok: true,
			upstreamPath: '/debian/pool/main/g/gcc-12/g%2B%2B-12_12.2.0-14_amd64.deb'
		});
	});

	it.each([
		['CONNECT', 'deb.debian.org:443', 405],
		['POST', 'http://deb.debian.org/debian/x', 405],
		['GET', '/debian/dists/bookworm/InRelease', 400],
		['GET', 'https://deb.debian.org/debian/x', 403],
		['GET', 'http://evil.example/debian/x', 403],
		['GET', 'http://deb.debian.org.evil.example/debian/x', 403],
		['GET', 'http://127.0.0.1/debian/x', 403],
		['GET', 'http://10.213.0.1:3000/debian/x', 403],
		['GET', 'http://deb.debian.org/ubuntu/x', 403],
		['GET', 'http://deb.debian.org/debian/', 403],
		['GET', 'http://deb.debian.org/debian/../etc/passwd', 403],
		['GET', 'http://deb.debian.org/debian/%2e%2e/x', 403],
		['GET', 'http://deb.debian.org/debian/pool/%2e%2e/%2e%2e/x', 403],
		['GET', 'http://deb.debian.org/debian/pool/a%2fb.deb', 403],
		['GET', 'http://deb.debian.org/debian/pool/a%00b.deb', 403],
		['GET', 'http://deb.debian.org/debian/pool/a%20b.deb', 403],
		['GET', 'http://deb.debian.org/debian/pool/a%zzb.deb', 400],
		['GET', 'http://deb.debian.org/debian/pool/a%e2%82b.deb', 400],
		['GET', 'http://deb.debian.org:8080/debian/x', 403],
		['GET', 'http://u:p@deb.debian.org/debian/x', 403],
		['GET', 'http://deb.debian.org/debian/x?y=1', 403],
		// npm is served as a registry (origin-form paths, npm.ts), never as a forward proxy to another host.
		['GET', 'http://registry.npmjs.org/left-pad', 403],
		['GET', 'https://registry.npmjs.org/left-pad', 403]
	])('%s %s is refused (%i)', (method, target, status) => {
		expect(route(method, target)).toMatchObject({ ok: false, status });
	});
});

describe('startAptProxy against a stand-in archive', () => {
	let upstream: Server;
	let proxy: AptProxy;
	let cache: string;
	const upstreamHits: string[] = [];
	const logged: string[] = [];

	beforeAll(async () => {
		cache = mkdtempSync(join(tmpdir(), 'apt-proxy-spec-'));
		upstream = createServer((req, res) => {
			upstreamHits.push(req.url ?? '');
			if (req.url === '/debian/pool/main/h/hello/hello_1.0_all.deb') {
				res.writeHead(200, { 'content-length': '9' });
				res.end('deb-bytes');
			} else if (req.url === '/debian/pool/main/l/libx/libx_1.0%2Bdeb12u1_all.deb') {
				res.writeHead(200, { 'content-length': '11' });
				res.end('escaped-deb');
			} else {
				res.writeHead(404);
				res.end();
			}
		});
		await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
		proxy = await startAptProxy({ host: '127.0.0.1', port: 0, cacheDir: cache, upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, log: (l) => logged.push(l) });
	});
	afterAll(async () => {
		await proxy?.stop();
		await new Promise<void>((r) => upstream.close(() => r()));
		rmSync(cache, { recursive: true, force: true });
	});

	function viaProxy(method: string, target: string): Promise<{ status: number; body: string; phrase?: string }> {
		return new Promise((resolve, reject) => {
			const req = request({ host: '127.0.0.1', port: proxy.port, method, path: target }, (res) => {
				let body = '';
				res.on('data', (b: Buffer) => (body += b.toString()));
				res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ...(res.statusCode === 200 ? {} : { phrase: res.statusMessage }) }));
			});
			// A CONNECT answer arrives as 'connect', not as a response.
			req.on('connect', (res, socket) => {
				socket.destroy();
				resolve({ status: res.statusCode ?? 0, body: '', phrase: res.statusMessage });
			});
			req.on('error', reject);
			req.end();
		});
	}

	it('fetches a pool file once, then serves it from the cache', async () => {
		const url = 'http://deb.debian.org/debian/pool/main/h/hello/hello_1.0_all.deb';
		expect(await viaProxy('GET', url)).toEqual({ status: 200, body: 'deb-bytes' });
		// The client has every byte (content-length) a moment before the proxy renames its complete copy
		// into the cache: ask again only once that copy is there.
		const deadline = Date.now() + 5_000;
		while (!readdirSync(cache).some((f) => !f.includes('.tmp-')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
		expect(await viaProxy('GET', url)).toEqual({ status: 200, body: 'deb-bytes' });
		expect(upstreamHits.filter((h) => h.endsWith('hello_1.0_all.deb'))).toHaveLength(1);
		expect(proxy.stats).toMatchObject({ hit: 1, miss: 1 });
	});

	it('passes a 404 on and refuses other hosts and tunnels without asking upstream', async () => {
		const before = upstreamHits.length;
		expect((await viaProxy('GET', 'http://deb.debian.org/debian/dists/none/InRelease')).status).toBe(404);
		expect(upstreamHits.length).toBe(before + 1);
		const other = await viaProxy('GET', 'http://example.com/debian/x');
		expect(other.status).toBe(403);
		// The reason is in the status line, the only part apt prints ("E: Failed to fetch URL  403  Refused by …").
		expect(other.phrase).toBe("Refused by the package proxy: only Debian's archive (deb.debian.org/debian, /debian-security)");
		expect(await viaProxy('CONNECT', 'deb.debian.org:443')).toMatchObject({ status: 405, phrase: expect.stringMatching(/^Refused by the package proxy: no tunnels/) });
		expect(upstreamHits.length).toBe(before + 1);
		expect(proxy.stats.refused).toBeGreaterThanOrEqual(2);
		// Every refusal is logged with its URL and reason.
		expect(logged).toContainEqual(expect.stringMatching(/^REFUSED 403 GET http:\/\/example\.com\/debian\/x: only Debian's archive/));
		expect(logged).toContainEqual(expect.stringMatching(/^REFUSED 405 CONNECT deb\.debian\.org:443: no tunnels/));
	});

	it('fetches an escaped pool file by its one upstream name', async () => {
		const before = upstreamHits.length;
		expect(await viaProxy('GET', 'http://deb.debian.org/debian/pool/main/l/libx/libx_1.0%2bdeb12u1_all.deb')).toEqual({ status: 200, body: 'escaped-deb' });
		expect(upstreamHits.slice(before)).toEqual(['/debian/pool/main/l/libx/libx_1.0%2Bdeb12u1_all.deb']);
		// Cached under the one name: the other spelling is a hit (once the complete copy is in place).
		const deadline = Date.now() + 5_000;
		const name = createHash('sha256').update('/debian/pool/main/l/libx/libx_1.0%2Bdeb12u1_all.deb').digest('hex');
		while (!readdirSync(cache).includes(name) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
		expect(await viaProxy('GET', 'http://deb.debian.org/debian/pool/main/l/libx/libx_1.0+deb12u1_all.deb')).toEqual({ status: 200, body: 'escaped-deb' });
		expect(upstreamHits).toHaveLength(before + 1);
	});
});
