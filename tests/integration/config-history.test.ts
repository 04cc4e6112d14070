// Config history through the built server's HTTP API: every save is a version (who, when, size, SHA-256), a
// file changed on disk outside Spyre becomes a version when Spyre next reads it, any two versions diff, and a
// restore is a new save, audited. The provision request names the version it builds (refused once the config
// moved on), and the environment page says which version an environment was built from and whether the config
// changed since. Needs `npm run build` first.

import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type RunningSim } from '../helpers/sim';
import { get, setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { TEST_TEMPLATE } from '../helpers/templates';

const TEMPLATE = TEST_TEMPLATE;
let sim: RunningSim;
let spyre: RunningSpyre;
let cookie: string;

interface Version {
	version: number;
	sha256: string;
	size: number;
	source: string;
	restoredFrom: number | null;
	savedAt: number;
	savedBy: string | null;
}

function api(method: string, pathname: string, body?: unknown) {
	return fetch(`${spyre.url}${pathname}`, {
		method,
		headers: { origin: spyre.url, cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
		body: body === undefined ? undefined : JSON.stringify(body)
	});
}

async function ok<T>(res: Promise<Response>, status = 200): Promise<T> {
	const r = await res;
	const text = await r.text();
	expect(r.status, text.slice(0, 300)).toBe(status);
	return JSON.parse(text) as T;
}

const versions = async (name: string) => (await ok<{ versions: Version[] }>(api('GET', `/api/configs/${name}/versions`))).versions;

const text = (n: number) => `apiVersion: spyre/v1
kind: Environment
metadata:
  name: hist
  description: version ${n}
spec:
  platform: { template: ${TEMPLATE}, cores: 1, memory: 512, disk: 4 }
  provision:
    packages: []
`;

function auditRows(action: string): Array<{ target: string; outcome: string; detail: string | null; username: string | null }> {
	const db = new Database(spyre.dbPath, { readonly: true });
	try {
		return db.prepare('SELECT target, outcome, detail, username FROM audit_log WHERE action = ? ORDER BY id').all(action) as Array<{
			target: string;
			outcome: string;
			detail: string | null;
			username: string | null;
		}>;
	} finally {
		db.close();
	}
}

async function waitFor<T>(fn: () => Promise<T>, good: (v: T) => boolean, ms = 60_000): Promise<T> {
	const deadline = Date.now() + ms;
	for (;;) {
		const v = await fn();
		if (good(v)) return v;
		if (Date.now() > deadline) throw new Error(`timed out; last ${JSON.stringify(v).slice(0, 400)}`);
		await new Promise((r) => setTimeout(r, 250));
	}
}

beforeAll(async () => {
	sim = await startSim();
	spyre = await startSpyre({ mode: 'built', simJson: sim.simJson });
	cookie = await setupAdmin(spyre.url, 'admin', 'correct-horse-battery');
}, 60_000);

afterAll(async () => {
	await spyre?.stop();
	await sim?.stop();
});

describe('config versions over the API', () => {
	it('keeps every save, sees edits made on disk, diffs any two and restores one as a new save', async () => {
		await ok(api('POST', '/api/configs', { name: 'hist', from: { blank: true } }), 201);
		expect((await ok<{ config: { version: number } }>(api('PUT', '/api/configs/hist', { text: text(2) }))).config.version).toBe(2);
		// The same text again is no new version.
		expect((await ok<{ config: { version: number } }>(api('PUT', '/api/configs/hist', { text: text(2) }))).config.version).toBe(2);
		expect((await ok<{ config: { version: number } }>(api('PUT', '/api/configs/hist', { text: text(3) }))).config.version).toBe(3);

		let list = await versions('hist');
		expect(list.map((v) => [v.version, v.source, v.savedBy])).toEqual([
			[3, 'save', 'admin'],
			[2, 'save', 'admin'],
			[1, 'create', 'admin']
		]);
		expect(list[0].size).toBe(Buffer.byteLength(text(3)));
		expect(list[0].sha256).toMatch(/^[0-9a-f]{64}$/);

		const two = (await ok<{ version: { content: string; version: number } }>(api('GET', '/api/configs/hist/versions/2'))).version;
		expect(two).toMatchObject({ version: 2, content: text(2) });

		const diff = await ok<{ diff: string; from: Version; to: Version }>(api('GET', '/api/configs/hist/diff?from=2&to=3'));
		expect(diff.diff).toBe(
			`--- hist v2\n+++ hist v3\n@@ -2,7 +2,7 @@\n kind: Environment\n metadata:\n   name: hist\n-  description: version 2\n+  description: version 3\n spec:\n   platform: { template: ${TEMPLATE}, cores: 1, memory: 512, disk: 4 }\n   provision:\n`
		);
		expect([diff.from.version, diff.to.version]).toEqual([2, 3]);

		// Someone edits the file by hand: the next read records it, with no author.
		fs.writeFileSync(path.join(spyre.dataDir, 'configs', 'hist.yaml'), text(4));
		list = await versions('hist');
		expect(list[0]).toMatchObject({ version: 4, source: 'disk', savedBy: null });
		const listed = (await ok<{ configs: Array<{ name: string; version: number }> }>(api('GET', '/api/configs'))).configs.find((c) => c.name === 'hist');
		expect(listed?.version).toBe(4);

		// Restore v2: a new version with v2's text, on disk too, audited.
		const restored = (await ok<{ config: { version: number } }>(api('POST', '/api/configs/hist/versions/2/restore'))).config;
		expect(restored.version).toBe(5);
		expect(fs.readFileSync(path.join(spyre.dataDir, 'configs', 'hist.yaml'), 'utf8')).toBe(text(2));
		expect((await versions('hist'))[0]).toMatchObject({ version: 5, source: 'restore', restoredFrom: 2, savedBy: 'admin' });
		expect(auditRows('config.restore')).toEqual([{ target: 'hist', outcome: 'success', detail: 'restored version 2 as version 5', username: 'admin' }]);
		expect(auditRows('config.save').at(-1)).toMatchObject({ target: 'hist', outcome: 'success', detail: 'saved, valid as version 3' });
	});

	it('says clearly what is wrong with a request', async () => {
		const err = async (res: Promise<Response>, status: number) => {
			const r = await res;
			expect(r.status).toBe(status);
			return ((await r.json()) as { error: string }).error;
		};
		expect(await err(api('GET', '/api/configs/hist/versions/abc'), 400)).toMatch(/version must be a version number/);
		expect(await err(api('GET', '/api/configs/hist/versions/99'), 404)).toBe('Config hist has no version 99.');
		expect(await err(api('GET', '/api/configs/hist/diff?from=1'), 400)).toMatch(/^to must be a version number/);
		expect(await err(api('GET', '/api/configs/nothing-here/versions'), 404)).toBe('There is no config named nothing-here.');
		expect(await err(api('GET', '/api/configs/..%2Fetc/versions'), 400)).toMatch(/is not a config name/);
		// Built-ins have a history (what shipped) but stay read-only.
		expect((await versions('dev-web')).length).toBeGreaterThanOrEqual(1);
		expect(await err(api('POST', '/api/configs/dev-web/versions/1/restore'), 403)).toMatch(/built-in/);
		// A restore is a mutation: without an Origin header it is refused before it runs.
		const noOrigin = await fetch(`${spyre.url}/api/configs/hist/versions/1/restore`, { method: 'POST', headers: { cookie } });
		expect(noOrigin.status).toBe(403);
		expect((await versions('hist'))[0].version).toBe(5);
		// Signed out: no history.
		expect((await fetch(`${spyre.url}/api/configs/hist/versions`)).status).toBe(401);
	});

	it('provisions the version the dialog showed, and the environment page says which and whether it changed since', async () => {
		const current = (await versions('hist'))[0].version;
		const stale = await api('POST', '/api/environments/provision', { config: 'hist', hostname: 'hist-1', version: current - 1 });
		expect(stale.status).toBe(409);
		const body = (await stale.json()) as { error: string; fields: Record<string, string> };
		expect(body.error).toBe(`hist is at version ${current} now, not ${current - 1}: it changed since you opened this. Review it, then provision again.`);
		expect(body.fields.config).toBe(`hist changed to v${current}.`);

		const { id } = await ok<{ id: string }>(api('POST', '/api/environments/provision', { config: 'hist', hostname: 'hist-1', version: current }), 202);
		try {
			const page = async () => (await get(spyre.url, `/environments/${id}`, cookie)).text();
			let html = await page();
			expect(html).toMatch(new RegExp(`Built from <a[^>]*>hist v${current}</a>`));
			expect(html).not.toContain('changed since');

			const run = (await ok<{ run: { configName: string; configVersion: number; configSnapshot: string } }>(api('GET', `/api/environments/${id}/run?kind=provision`))).run;
			expect(run).toMatchObject({ configName: 'hist', configVersion: current });
			expect(run.configSnapshot).toContain(`hist v${current}, sha256 ${(await versions('hist'))[0].sha256}`);

			await ok(api('PUT', '/api/configs/hist', { text: text(6) }));
			html = await page();
			expect(html).toContain(`changed since: now v${current + 1}`);
			expect(html).toContain(`/configs/hist?from=${current}&amp;to=${current + 1}#history`);
		} finally {
			await waitFor(
				async () => (await ok<{ run: { status: string } }>(api('GET', `/api/environments/${id}/run?kind=provision`))).run.status,
				(s) => s !== 'running',
				120_000
			).catch(async () => {
				await api('POST', `/api/environments/${id}/cancel`);
			});
			await waitFor(
				async () => (await api('DELETE', `/api/environments/${id}`)).status,
				(s) => s === 202 || s === 404,
				60_000
			);
			await waitFor(
				async () => (await api('GET', `/api/environments/${id}`)).status,
				(s) => s === 404,
				60_000
			);
		}
	}, 240_000);
});
