// Re-trusting a changed SSH host key through the built server against a simulator CT: the refusal names
// the key the CT presents now, and the key is pinned only when the request confirms exactly that key.
// The change is simulated on Spyre's side (a different pin in its database), which is what a rebuilt CT
// looks like from Spyre: pinned != presented.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type RunningSim } from '../helpers/sim';
import { setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { createEnvironment } from '../helpers/environments';
import { TEST_TEMPLATE } from '../helpers/templates';

const TEMPLATE = TEST_TEMPLATE;
const FAKE = 'SHA256:' + 'A'.repeat(43);
let sim: RunningSim;
let spyre: RunningSpyre;
let cookie: string;
let id = '';

function api(method: string, path: string, body?: unknown) {
	return fetch(`${spyre.url}${path}`, {
		method,
		headers: { origin: spyre.url, cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
		body: body === undefined ? undefined : JSON.stringify(body)
	});
}

function pinned(): string | null {
	const db = new Database(spyre.dbPath);
	try {
		return (db.prepare('SELECT host_key_fingerprint AS fp FROM environments WHERE id = ?').get(id) as { fp: string | null }).fp;
	} finally {
		db.close();
	}
}

function pin(fp: string) {
	const db = new Database(spyre.dbPath);
	try {
		db.prepare('UPDATE environments SET host_key_fingerprint = ? WHERE id = ?').run(fp, id);
	} finally {
		db.close();
	}
}

beforeAll(async () => {
	sim = await startSim();
	// Idle connections close quickly, so the next request makes a new handshake against the pin.
	spyre = await startSpyre({ mode: 'built', simJson: sim.simJson, config: { ssh: { idle_close_ms: 200 } } });
	cookie = await setupAdmin(spyre.url, 'admin', 'correct-horse-battery');
	({ id } = await createEnvironment(api, { hostname: 'trust-1', template: TEMPLATE, cores: 1, memory: 512, disk: 4 }));
});

afterAll(async () => {
	await spyre?.stop();
	await sim?.stop();
});

describe('trust-host-key', () => {
	it('refuses a changed key with its new fingerprint, and re-trusts only that fingerprint', async () => {
		const real = pinned();
		expect(real).toMatch(/^SHA256:/);
		await new Promise((r) => setTimeout(r, 600)); // idle close
		pin(FAKE);

		// Any SSH use now fails, naming the key the CT presents.
		const refused = await api('GET', `/api/environments/${id}/windows`);
		expect(refused.status).toBe(502);
		const body = (await refused.json()) as { code: string; error: string; fields?: { fingerprint?: string } };
		expect(body.code).toBe('ssh_host_key');
		expect(body.fields?.fingerprint).toBe(real);
		expect(body.error).toContain(`got ${real}`);

		expect(await (await api('GET', `/api/environments/${id}/trust-host-key`)).json()).toEqual({ pinned: FAKE, presented: real, changed: true });

		// No fingerprint, a malformed one, or the wrong one: nothing is trusted.
		expect((await api('POST', `/api/environments/${id}/trust-host-key`)).status).toBe(400);
		expect((await api('POST', `/api/environments/${id}/trust-host-key`, {})).status).toBe(422);
		expect((await api('POST', `/api/environments/${id}/trust-host-key`, { fingerprint: 'SHA256:$(reboot)' })).status).toBe(422);
		const wrong = await api('POST', `/api/environments/${id}/trust-host-key`, { fingerprint: 'SHA256:' + 'B'.repeat(43) });
		expect(wrong.status).toBe(409);
		expect(((await wrong.json()) as { error: string }).error).toContain(real);
		expect(pinned()).toBe(FAKE);

		// The presented one: pinned, and SSH works again.
		const ok = await api('POST', `/api/environments/${id}/trust-host-key`, { fingerprint: real });
		expect(ok.status).toBe(200);
		expect(await ok.json()).toEqual({ ok: true, fingerprint: real });
		expect(pinned()).toBe(real);
		const windows = await api('GET', `/api/environments/${id}/windows`);
		expect(windows.status).toBe(200);
		expect(((await windows.json()) as { windows: unknown[] }).windows.length).toBeGreaterThan(0);
		expect(await (await api('GET', `/api/environments/${id}/trust-host-key`)).json()).toEqual({ pinned: real, presented: real, changed: false });
	});

	it('answers 404 for an unknown environment and 401 without a session', async () => {
		expect((await api('GET', '/api/environments/env-nope/trust-host-key')).status).toBe(404);
		expect((await api('POST', '/api/environments/env-nope/trust-host-key', { fingerprint: FAKE })).status).toBe(404);
		const anon = await fetch(`${spyre.url}/api/environments/${id}/trust-host-key`, { headers: { origin: spyre.url } });
		expect(anon.status).toBe(401);
	});
});
