// A hostile environment service against its owner, through the real caddy, in Chromium. Two environments
// are provisioned from a config with a `web` service: `evil-1` runs tests/security/fixtures/
// hostile-service.py (HTTP + WebSocket, logs every request it receives), `good-1` runs the same server as
// an innocent sibling. The signed-in owner opens both services through Spyre's handshake; the hostile page
// then tries, with everything a browser page has (fetch, no-cors, form posts into a hidden frame,
// WebSockets, service workers, Set-Cookie and document.cookie), to read or change Spyre, open a terminal,
// reach the sibling service with the owner's credential and sign the owner out. Each refusal is checked
// where it would show: Spyre's configs and audit log, the sibling's request log, the owner's cookies and
// session. The same service still works for its own page, fetch, form and WebSocket. Spyre's session
// cookie and the service credential never reach a CT. Signing out revokes the service credential.
//
// Spyre is at spyre.localhost:PORT and services at <service>--<hostname>.spyre.localhost:PORT: the
// hardest layout, where every service is same-site with Spyre and with each other.

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { command } from '../../src/lib/server/shell';
import { startCaddy, type RunningCaddy } from '../helpers/caddy';
import { ssh, startSim, type RunningSim } from '../helpers/sim';
import { freePort, REPO_ROOT, setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { SESSION_COOKIE } from '../../src/lib/server/auth/session-cookie';
import { waitFor } from '../helpers/wait';
import { createEnvironment } from '../helpers/environments';
import { TEST_TEMPLATE } from '../helpers/templates';

const TEMPLATE = TEST_TEMPLATE;
const BASE = 'spyre.localhost';
const USER = 'owner';
const PASS = 'agent-services-password-1';
const EVIL = 'evil-1';
const GOOD = 'good-1';
const LOG = '/tmp/hostile-requests.log';
const SCRIPT = fs.readFileSync(path.join(REPO_ROOT, 'tests/security/fixtures/hostile-service.py'));

let sim: RunningSim;
let spyre: RunningSpyre;
let caddy: RunningCaddy;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let cookie: string;
let publicUrl: string;
const envs: Record<string, { id: string; ip: string; port: number; pid: string }> = {};

const host = (hostname: string) => `web--${hostname}.${BASE}`;
const origin = (hostname: string) => `http://${host(hostname)}:${caddy.port}`;
const inCt = (hostname: string, cmd: string) => ssh(path.join(spyre.dataDir, 'ssh', 'id_ed25519'), envs[hostname].ip, sim.simJson.sshPort, cmd);

function api(method: string, pathname: string, body?: unknown) {
	return fetch(`${spyre.url}${pathname}`, {
		method,
		headers: { origin: spyre.url, cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
		body: body === undefined ? undefined : JSON.stringify(body)
	});
}

function auditRows(where: string, ...params: string[]): Array<{ action: string; target: string | null; outcome: string }> {
	const db = new Database(spyre.dbPath, { readonly: true });
	try {
		return db.prepare(`SELECT action, target, outcome FROM audit_log WHERE ${where}`).all(...params) as Array<{ action: string; target: string | null; outcome: string }>;
	} finally {
		db.close();
	}
}

/** Every request the service in `hostname` received, as its log recorded it. */
async function ctLog(hostname: string): Promise<Array<{ method: string; path: string; headers: Record<string, string>; ws?: string; body?: string }>> {
	const r = await inCt(hostname, command('cat', LOG));
	return r.stdout
		.split('\n')
		.filter(Boolean)
		.map((l) => JSON.parse(l));
}

async function provision(hostname: string): Promise<void> {
	const env = await createEnvironment(api, { config: 'svc-hostile', hostname }, { timeoutMs: 150_000 });
	envs[hostname] = { id: env.id, ip: env.ip!, port: 0, pid: '' };
}

async function startService(hostname: string, victim: string): Promise<void> {
	const env = envs[hostname];
	env.port = 8090;
	const b64 = SCRIPT.toString('base64');
	const write = await inCt(hostname, `echo ${b64} | base64 -d > /tmp/hostile-service.py && rm -f ${LOG}`);
	expect(write.code, write.stderr).toBe(0);
	const run = await inCt(
		hostname,
		`nohup ${command('python3', '/tmp/hostile-service.py', env.ip, env.port, LOG, publicUrl, origin(victim), envs[victim].id)} >/tmp/hostile.err 2>&1 </dev/null & echo $!`
	);
	env.pid = run.stdout.trim();
	expect(env.pid).toMatch(/^\d+$/);
}

beforeAll(async () => {
	sim = await startSim();
	const [caddyPort, adminPort] = [await freePort(), await freePort()];
	publicUrl = `http://${BASE}:${caddyPort}`;
	spyre = await startSpyre({
		mode: 'built',
		simJson: sim.simJson,
		env: { SPYRE_HEALTH_MS: '1000' },
		config: { server: { public_url: publicUrl }, caddy: { admin_url: `http://127.0.0.1:${adminPort}`, base_domain: BASE } }
	});
	cookie = await setupAdmin(spyre.url, USER, PASS);
	caddy = await startCaddy({ siteHost: BASE, port: caddyPort, adminPort, upstream: `127.0.0.1:${spyre.port}` });
	const dir = path.join(spyre.dataDir, 'configs');
	fs.mkdirSync(dir, { recursive: true });
	fs.writeFileSync(
		path.join(dir, 'svc-hostile.yaml'),
		`apiVersion: spyre/v1
kind: Environment
metadata: { name: svc-hostile }
spec:
  platform: { template: ${TEMPLATE}, cores: 1, memory: 512, disk: 4 }
  services:
    - { name: web, port: 8090, protocol: http }
`
	);
	await provision(EVIL);
	await provision(GOOD);
	await startService(EVIL, GOOD);
	await startService(GOOD, EVIL);
	await waitFor(
		() => caddy.routes(),
		(t) => t.includes(`spyre-svc-${envs[EVIL].id}-web`) && t.includes(`spyre-svc-${envs[GOOD].id}-web`),
		20_000
	);
	browser = await chromium.launch({
		executablePath: '/usr/bin/chromium',
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', `--host-resolver-rules=MAP *.localhost 127.0.0.1, MAP localhost 127.0.0.1`]
	});
	context = await browser.newContext();
	page = await context.newPage();
}, 300_000);

afterAll(async () => {
	await browser?.close();
	for (const [hostname, env] of Object.entries(envs)) if (env.pid) await inCt(hostname, command('kill', env.pid)).catch(() => {});
	await caddy?.stop();
	await spyre?.stop();
	await sim?.stop();
});

let sessionBefore: string | undefined;
let results: Record<string, Record<string, unknown> | string | boolean>;

describe('a hostile service opened by the signed-in owner', () => {
	it("the owner signs in and opens both services through Spyre's handshake", async () => {
		await page.goto(`${publicUrl}/login`);
		await page.getByLabel('Username').fill(USER);
		await page.getByLabel('Password').fill(PASS);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.getByRole('navigation', { name: 'Main' }).waitFor();
		sessionBefore = (await context.cookies(publicUrl)).find((c) => c.name === SESSION_COOKIE)?.value;
		expect(sessionBefore).toBeTruthy();

		// The sibling first (a plain page), so the owner holds a credential the hostile page could try to ride.
		await page.goto(`${publicUrl}/auth/service?host=${host(GOOD)}&to=/hello`);
		await page.waitForURL(`${origin(GOOD)}/hello`);
		expect(await page.textContent('body')).toContain('hostile /hello');

		// The hostile one from its environment page's link (a new tab, like a person would).
		await page.goto(`${publicUrl}/environments/${envs[EVIL].id}`);
		const link = page.getByRole('link', { name: /^Open service web at / });
		expect((await link.textContent())?.trim()).toBe(`${origin(EVIL)}/`);
		const [evil] = await Promise.all([context.waitForEvent('page'), link.click()]);
		const consoleLines: string[] = [];
		evil.on('console', (m) => consoleLines.push(m.text()));
		evil.on('pageerror', (e) => consoleLines.push(String(e)));
		await evil.waitForURL(`${origin(EVIL)}/`);
		await evil
			.waitForFunction(() => document.title === 'done', undefined, { timeout: 60_000 })
			.catch((e: Error) => {
				throw new Error(`${e.message}\n${consoleLines.join('\n')}`);
			});
		results = (await evil.evaluate(() => (window as unknown as { __results: unknown }).__results)) as typeof results;
		// The own-form check happens on this page later.
		(globalThis as unknown as { evilPage: Page }).evilPage = evil;
		// One service-credential row per handshake, audited.
		expect(
			auditRows("action = 'service.credential'")
				.map((r) => r.target)
				.sort()
		).toEqual([`${envs[EVIL].id}/web`, `${envs[GOOD].id}/web`].sort());
	}, 120_000);

	it('cannot read Spyre: its fetches are refused or opaque, never data', () => {
		const envs0 = results.spyreEnvs as { error?: string; status?: number; body?: string };
		expect(envs0.body ?? '').not.toContain(envs[EVIL].id);
		expect(JSON.stringify(results.spyreEnvsNoCors)).not.toContain(envs[EVIL].id);
		expect(JSON.stringify(results.spyreAudit)).not.toContain('auth.login');
		expect(results.seesCredential).toBe(false);
	});

	it('cannot change Spyre: no config was created, no audit row for it', async () => {
		for (const name of ['pwned-fetch', 'pwned-form']) {
			expect((await api('GET', `/api/configs/${name}`)).status).toBe(404);
			expect(fs.existsSync(path.join(spyre.dataDir, 'configs', `${name}.yaml`))).toBe(false);
		}
		expect(auditRows("action LIKE 'config.%'")).toEqual([]);
	});

	it('cannot open a terminal or the event stream of Spyre', () => {
		expect(results.spyreTerminal).not.toHaveProperty('open');
		expect(results.spyreEvents).not.toHaveProperty('open');
		// The hostile page aimed at the sibling's terminal (the owner's own environment page attached to evil-1's).
		expect(auditRows("action LIKE 'terminal%' AND target = ?", envs[GOOD].id)).toEqual([]);
	});

	it("cannot reach the sibling service with the owner's credential (fetch, POST, form, WebSocket)", async () => {
		const sibling = await ctLog(GOOD);
		// The sibling's own page load did arrive (so the log works) ...
		expect(sibling.some((r) => r.path === '/hello')).toBe(true);
		// ... and nothing the hostile page sent it did.
		expect(sibling.filter((r) => r.path.startsWith('/from-evil') || r.ws === 'from-evil-ws')).toEqual([]);
		expect(results.victimWs).not.toHaveProperty('message');
	});

	it('cannot register a service worker for Spyre; its own worker stays on its own origin', async () => {
		expect(results.swSpyre).toBe('SecurityError');
		expect(String(results.swOwn)).toBe(`${origin(EVIL)}/`);
		const spyrePage = await context.newPage();
		await spyrePage.goto(`${publicUrl}/login`);
		// Signed in, so /login is not even shown: Spyre answers, not a worker's fake page.
		await spyrePage.getByRole('navigation', { name: 'Main' }).waitFor();
		expect(await spyrePage.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(0);
		await spyrePage.close();
	});

	it("cannot sign the owner out or swap Spyre's cookie (Set-Cookie and document.cookie)", async () => {
		// What Spyre's host gets: its own session cookie, unchanged. (The page could set a `__Host-` cookie on
		// its own host, and a `spyre_session` on the parent domain: neither is one Spyre reads.)
		const spyreSession = (await context.cookies(publicUrl)).filter((c) => c.name === SESSION_COOKIE);
		expect(spyreSession.map((c) => [c.domain, c.value])).toEqual([[BASE, sessionBefore]]);
		// Caddy blanked the service's Set-Cookie for Spyre's names; its own cookie got through.
		const onEvil = await context.cookies(origin(EVIL));
		expect(onEvil.find((c) => c.name === 'app_cookie')?.value).toBe('kept');
		expect(onEvil.filter((c) => c.value === 'tossed')).toEqual([]);
		// The owner's session still works, with the same token.
		const spyrePage = await context.newPage();
		await spyrePage.goto(`${publicUrl}/environments`);
		expect(await spyrePage.evaluate(async () => (await fetch('/api/environments')).status)).toBe(200);
		await spyrePage.close();
	});

	it('still works for its own page, fetch, form and WebSocket', async () => {
		expect(results.ownFetch).toMatchObject({ status: 200, body: 'echo-ok /api/echo?x=1' });
		expect(results.ownPost).toMatchObject({ status: 200, body: 'posted-ok posted' });
		expect(results.ownWs).toMatchObject({ message: 'pong' });
		const evil = (globalThis as unknown as { evilPage: Page }).evilPage;
		// Its own service worker (registered above, on its own origin) would answer the form; take it away.
		await evil.evaluate(async () => {
			for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister();
		});
		await evil.locator('#own-form button').click();
		await evil.waitForURL(`${origin(EVIL)}/form`);
		expect(await evil.textContent('h1')).toBe('form-ok v=own-form-value');
	});

	it('no Spyre cookie and no service credential ever reached a CT', async () => {
		for (const hostname of [EVIL, GOOD]) {
			const log = await ctLog(hostname);
			expect(log.length).toBeGreaterThan(0);
			for (const r of log) {
				const c = r.headers.Cookie ?? r.headers.cookie ?? '';
				expect([hostname, r.path, c]).not.toSatisfy(([, , v]: string[]) => /spyre_session|spyre_svc/i.test(v));
			}
		}
	});

	it("a link from another site to Spyre's handshake asks first, and opens the service only on the owner's click", async () => {
		const before = auditRows("action = 'service.credential'").length;
		const p = await context.newPage();
		const start = `${publicUrl}/auth/service?host=${host(GOOD)}&to=/asked`;
		await p.goto(`data:text/html,<a href="${encodeURIComponent(start)}">open</a>`);
		await p.click('a');
		const open = p.getByRole('button', { name: 'Open web' });
		await open.waitFor();
		expect(auditRows("action = 'service.credential'").length).toBe(before);
		expect((await ctLog(GOOD)).some((r) => r.path === '/asked')).toBe(false);
		await open.click();
		await p.waitForURL(`${origin(GOOD)}/asked`, { timeout: 10_000 }).catch(async (e: Error) => {
			throw new Error(`${e.message}\nat ${p.url()}: ${(await p.textContent('body'))?.slice(0, 300)}`);
		});
		expect(await p.textContent('body')).toContain('hostile /asked');
		expect(auditRows("action = 'service.credential'").length).toBe(before + 1);
		await p.close();
	});

	it('signing out revokes the service credentials', async () => {
		const spyrePage = await context.newPage();
		await spyrePage.goto(`${publicUrl}/environments`);
		await spyrePage.evaluate(async () => {
			await fetch('/logout', { method: 'POST' });
		});
		await spyrePage.close();
		const db = new Database(spyre.dbPath, { readonly: true });
		try {
			expect((db.prepare('SELECT COUNT(*) AS n FROM service_credentials').get() as { n: number }).n).toBe(0);
		} finally {
			db.close();
		}
		const res = await page.goto(`${origin(GOOD)}/hello`);
		// Back through the handshake, which now needs a sign-in.
		expect(page.url()).toMatch(new RegExp(`^${publicUrl.replace(/\./g, '\\.')}/login`));
		expect(await res?.text()).not.toContain('hostile /hello');
		// Signing in again carries on to the service through a fresh handshake.
		await page.getByLabel('Username').fill(USER);
		await page.getByLabel('Password').fill(PASS);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.waitForURL(`${origin(GOOD)}/hello`);
		expect(await page.textContent('body')).toContain('hostile /hello');
	});
});
