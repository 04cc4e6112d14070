// Test-only: a tiny HTTPS server that answers like pve-api-daemon (reason-phrase errors, {data} envelopes), with
// a throwaway self-signed certificate made by openssl. undici's MockAgent cannot set a custom reason phrase,
// and the TLS pinning tests need a real handshake, so the client specs talk to this instead.

import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface TestCert {
	key: string;
	cert: string;
	/** Uppercase colon SHA-256, computed by node:crypto (independent of the client's own code). */
	fingerprint: string;
}

/** A self-signed certificate for localhost / 127.0.0.1, usable as its own CA. */
export function makeCert(cn = 'localhost'): TestCert {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-pve-cert-'));
	try {
		execFileSync(
			'openssl',
			[
				'req',
				'-x509',
				'-newkey',
				'ec',
				'-pkeyopt',
				'ec_paramgen_curve:prime256v1',
				'-nodes',
				'-keyout',
				path.join(dir, 'key.pem'),
				'-out',
				path.join(dir, 'cert.pem'),
				'-days',
				'2',
				'-subj',
				`/CN=${cn}`,
				'-addext',
				'subjectAltName=DNS:localhost,IP:127.0.0.1'
			],
			{ stdio: 'pipe' }
		);
		const cert = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
		return {
			key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'),
			cert,
			fingerprint: new X509Certificate(cert).fingerprint256
		};
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

export interface Recorded {
	method: string;
	/** Path below /api2/json, without query, e.g. `/nodes/pve/lxc`. */
	path: string;
	/** The request target exactly as sent. */
	rawUrl: string;
	query: URLSearchParams;
	body: string;
	contentType?: string;
	authorization?: string;
}

export interface Reply {
	status?: number;
	/** HTTP reason phrase; default the standard one. */
	reason?: string;
	/** JSON-encoded unless a string; undefined sends an empty body. */
	body?: unknown;
	delayMs?: number;
}

export type Handler = (req: Recorded) => Reply | Promise<Reply>;

export interface FakePve {
	url: string;
	port: number;
	requests: Recorded[];
	handle: Handler;
	/** Serve another certificate from now on and drop open connections (new handshakes see it). */
	setCert(cert: TestCert): void;
	close(): Promise<void>;
}

export const ok = (data: unknown, extra: Record<string, unknown> = {}): Reply => ({ body: { data, ...extra } });
export const fail = (status: number, reason: string, body: unknown = { data: null }): Reply => ({ status, reason, body });

export async function startFakePve(cert: TestCert): Promise<FakePve> {
	const fake: FakePve = {
		url: '',
		port: 0,
		requests: [],
		handle: () => fail(501, 'no handler in test'),
		setCert: (c) => {
			server.setSecureContext({ key: c.key, cert: c.cert });
			server.closeAllConnections();
		},
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			})
	};
	const server = https.createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', async () => {
			const u = new URL(req.url ?? '/', 'https://x');
			const rec: Recorded = {
				method: req.method ?? 'GET',
				path: decodeURIComponent(u.pathname.replace(/^\/api2\/json/, '')),
				rawUrl: req.url ?? '',
				query: u.searchParams,
				body: Buffer.concat(chunks).toString('utf8'),
				contentType: req.headers['content-type'],
				authorization: req.headers.authorization
			};
			fake.requests.push(rec);
			let reply: Reply;
			try {
				reply = await fake.handle(rec);
			} catch (err) {
				reply = fail(500, `test handler threw: ${String(err)}`);
			}
			if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
			if (res.destroyed) return;
			const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
			res.statusCode = reply.status ?? 200;
			if (reply.reason) res.statusMessage = reply.reason;
			res.setHeader('Content-Type', 'application/json;charset=UTF-8');
			res.setHeader('Server', 'pve-api-daemon/3.0');
			res.end(text);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	fake.port = (server.address() as AddressInfo).port;
	fake.url = `https://127.0.0.1:${fake.port}`;
	return fake;
}
