import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { ProxmoxClient } from './client';
import { ProxmoxError } from './errors';
import { certFingerprint256, normaliseFingerprint } from './tls';
import { makeCert, ok, startFakePve, type FakePve, type TestCert } from './fake-pve.testkit';

// Real TLS handshakes against a local HTTPS server with a throwaway self-signed certificate.

let served: TestCert;
let other: TestCert;
let pve: FakePve;
const tlsEnvBefore = process.env.NODE_TLS_REJECT_UNAUTHORIZED;

function client(tls: { ca?: string; fingerprint?: string }, url = pve.url): ProxmoxClient {
	return new ProxmoxClient({ url, tokenId: 'root@pam!spyre', tokenSecret: 's3cret', tls, requestTimeoutMs: 3000, retries: 2, retryDelayMs: 5 });
}

async function failure(c: ProxmoxClient): Promise<ProxmoxError> {
	try {
		await c.authenticate();
	} catch (err) {
		expect(err).toBeInstanceOf(ProxmoxError);
		return err as ProxmoxError;
	} finally {
		await c.close();
	}
	throw new Error('expected a TLS failure');
}

beforeAll(async () => {
	served = makeCert();
	other = makeCert();
	pve = await startFakePve(served);
	pve.handle = () => ok({ version: '8.4.1' });
});
afterAll(async () => {
	await pve.close();
	expect(process.env.NODE_TLS_REJECT_UNAUTHORIZED).toBe(tlsEnvBefore);
});
beforeEach(() => {
	pve.requests.length = 0;
});

describe('fingerprint pinning', () => {
	it('connects when the pin matches (any spelling of the fingerprint)', async () => {
		for (const fp of [served.fingerprint, served.fingerprint.toLowerCase(), served.fingerprint.replace(/:/g, '')]) {
			const c = client({ fingerprint: fp });
			await expect(c.authenticate()).resolves.toMatchObject({ version: '8.4.1' });
			await c.close();
		}
	});

	it('refuses a different certificate, shows expected and received, and never sends the token', async () => {
		const err = await failure(client({ fingerprint: other.fingerprint }));
		expect(err.kind).toBe('tls');
		expect(err.code).toBe('proxmox_unreachable');
		expect(err.message).toContain(`expected ${other.fingerprint}`);
		expect(err.message).toContain(`received ${served.fingerprint}`);
		expect(err.message).toContain(pve.url);
		expect(pve.requests).toHaveLength(0);
	});

	it('checks the pin on every new connection of the same client, not only the first', async () => {
		const c = client({ fingerprint: served.fingerprint });
		try {
			await c.authenticate();
			pve.setCert(other);
			pve.requests.length = 0;
			const err = await failure(c);
			expect(err.message).toContain(`received ${other.fingerprint}`);
			expect(pve.requests).toHaveLength(0);
		} finally {
			pve.setCert(served);
		}
	});
});

describe('CA verification', () => {
	it('connects when the configured CA signed the certificate', async () => {
		const c = client({ ca: served.cert });
		await expect(c.authenticate()).resolves.toMatchObject({ version: '8.4.1' });
		await c.close();
	});

	it('refuses a certificate the configured CA did not sign', async () => {
		const err = await failure(client({ ca: other.cert }));
		expect(err.kind).toBe('tls');
		expect(err.message).toMatch(/Cannot verify the TLS certificate of Proxmox at https:\/\/127\.0\.0\.1:\d+/);
		expect(err.message).toContain('proxmox.tls.ca_file');
		expect(pve.requests).toHaveLength(0);
	});

	it('with CA and pin, requires both', async () => {
		const err = await failure(client({ ca: served.cert, fingerprint: other.fingerprint }));
		expect(err.kind).toBe('tls');
		expect(err.message).toContain('does not match the pinned fingerprint');
	});

	it('with neither, uses the system CAs, which do not know a self-signed certificate', async () => {
		const err = await failure(client({}));
		expect(err.kind).toBe('tls');
		expect(err.message).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
	});
});

describe('fingerprint helpers', () => {
	it('computes the SHA-256 of the DER certificate like node:crypto and Proxmox show it', () => {
		const x = new X509Certificate(served.cert);
		expect(certFingerprint256(x.raw)).toBe(served.fingerprint);
		expect(served.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
	});

	it('normalises and rejects', () => {
		expect(normaliseFingerprint(`sha256 Fingerprint=${served.fingerprint.toLowerCase()}`)).toBe(served.fingerprint);
		expect(() => normaliseFingerprint('AB:CD')).toThrow(/32 hex pairs/);
	});
});
