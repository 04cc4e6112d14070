// Test-only: one fake PVE (fake-pve.testkit.ts) per spec file and a fresh client per test, shared by the
// client, transport and wait specs so that each states only what it checks.

import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { SpyreError } from '../errors';
import { ProxmoxClient } from './client';
import { ProxmoxError } from './errors';
import { makeCert, startFakePve, type FakePve, type TestCert } from './fake-pve.testkit';
import type { ProxmoxClientOptions } from './options';

export const TOKEN_ID = 'root@pam!spyre';
export const SECRET = '7f1c2a9e-0000-4000-8000-5ec7e75ec7e7';
export const UPID_CREATE = 'UPID:pve:000D7AA2:08D5A17C:63DF62A5:vzcreate:101:root@pam!spyre:';
export const UPID_DESTROY = 'UPID:pve:000D7AA3:08D5A17C:63DF62A6:vzdestroy:101:root@pam!spyre:';

export interface FakePveHarness {
	cert: TestCert;
	pve: FakePve;
	/** A fresh client per test, closed after it. */
	client: ProxmoxClient;
	/** Another client on the same fake PVE (fingerprint-pinned, short timeouts), with `extra` options. */
	makeClient(extra?: Partial<ProxmoxClientOptions>): ProxmoxClient;
}

/** Registers the hooks of the spec file that calls it; the fields are set once those hooks have run. */
export function useFakePve(): FakePveHarness {
	const h = {
		makeClient: (extra: Partial<ProxmoxClientOptions> = {}) =>
			new ProxmoxClient({
				url: h.pve.url,
				tokenId: TOKEN_ID,
				tokenSecret: SECRET,
				tls: { fingerprint: h.cert.fingerprint },
				requestTimeoutMs: 2000,
				retryDelayMs: 10,
				...extra
			})
	} as FakePveHarness;
	beforeAll(async () => {
		h.cert = makeCert();
		h.pve = await startFakePve(h.cert);
	});
	afterAll(async () => {
		await h.pve.close();
	});
	beforeEach(() => {
		h.pve.requests.length = 0;
		h.client = h.makeClient();
	});
	afterEach(async () => {
		await h.client.close();
	});
	return h;
}

/** The ProxmoxError (also a SpyreError) that `p` rejects with; fails the test if it resolves. */
export async function caught(p: Promise<unknown>): Promise<ProxmoxError> {
	try {
		await p;
	} catch (err) {
		expect(err).toBeInstanceOf(ProxmoxError);
		expect(err).toBeInstanceOf(SpyreError);
		return err as ProxmoxError;
	}
	throw new Error('expected a rejection');
}
