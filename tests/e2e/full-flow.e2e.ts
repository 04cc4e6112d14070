// The whole of Spyre in one Chromium session, as a person uses it: sign in (through Caddy) → provision the
// built-in `dev-web` config (configs/dev-web.yaml, read from the repo as it ships) from its page (its Ubuntu
// template is not on the simulator: the dialog says so and offers the node's, the test template) → watch the
// provision view until done → run a command in its terminal → open its `web` service URL through the real
// caddy (healthy, served by the CT's Node.js after the credential handshake; refused without it) → run a Claude task on
// its Claude page against the fake Messages API and watch the transcript stream → destroy it with the
// typed-name confirmation and see it gone, its service URL no longer routed.
//
// Offline: the CT has only what its template has (git, curl, tmux; no node, no compiler); dev-web's other
// packages are installed by its packages step through Spyre's apt proxy setting, from a local repository
// that a recording proxy on the simulator's gateway serves: `nodejs` carries this host's node binary (the
// site really runs on it), `sudo`, `nginx` and `build-essential` are empty stand-ins. The config stays
// untouched, so the repository gets into the CT's sources the way a site's template would carry its
// mirror: while a simulator fault holds back the CT's address (Spyre's "network" step waits), the
// simulated Proxmox host's `pct exec` points the CT's apt at it.
//
// Service hosts are `<service>--<hostname>.spyre.localhost` (Spyre's public host is `spyre.localhost:PORT`,
// Caddy's site); Spyre's session cookie is host-only (`__Host-`) and never reaches them, a service gets its
// own credential through the handshake. Chromium maps every such name to 127.0.0.1 (--host-resolver-rules). Screenshots: test-results/screens/full-flow-*.png.

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { parse as parseYaml } from 'yaml';
import baseConfig from '../../playwright.config';
import { quote } from '../../src/lib/server/shell';
import { buildAptRepo, ctProxiedRepoScript, startRepoProxy, type AptRepo, type RepoProxy } from '../helpers/apt-repo';
import { startCaddy, type RunningCaddy } from '../helpers/caddy';
import { installClaudeInCt } from '../helpers/claude-cli';
import { startFakeAnthropicFor, type FakeAnthropic } from '../helpers/fake-anthropic';
import { control, onBridge, pveRequest, setGatewayPorts, simNetwork, ssh, startSim, type RunningSim } from '../helpers/sim';
import { TEST_TEMPLATE } from '../helpers/templates';
import { freePort, REPO_ROOT, setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { SESSION_COOKIE } from '../../src/lib/server/auth/session-cookie';

const BASE = 'spyre.localhost';
const HOSTNAME = 'dev-web-1';
const USER = 'ada';
const PASS = 'full-flow-password-1';
const API_KEY = 'sk-ant-api03-fullflowkey0000000000000000';
const SCREENS = path.join(REPO_ROOT, 'test-results', 'screens');
const LINES = 12;
/** configs/dev-web.yaml's `web` service port (the CT's site binds it in the host's network namespace, in the simulator). */
const WEB_PORT = (parseYaml(fs.readFileSync(path.join(REPO_ROOT, 'configs/dev-web.yaml'), 'utf8')) as { spec: { services: { name: string; port: number }[] } }).spec.services.find(
	(s) => s.name === 'web'
)!.port;

const base = baseConfig.use?.launchOptions ?? {};
test.use({
	launchOptions: {
		...base,
		// *.localhost is loopback anyway; the rule pins it to 127.0.0.1, where Caddy listens (not ::1).
		args: [...(base.args ?? []), `--host-resolver-rules=MAP ${BASE} 127.0.0.1, MAP *.${BASE} 127.0.0.1`]
	}
});
test.describe.configure({ mode: 'serial' });

let repo: AptRepo;
let proxy: RepoProxy;
let fake: FakeAnthropic;
let sim: RunningSim;
let spyre: RunningSpyre;
let caddy: RunningCaddy;
let context: BrowserContext;
let page: Page;
let publicUrl = '';
let envId = '';
let serviceUrl = '';

/** Nothing may listen on dev-web's port: in the simulator the CT's site binds 0.0.0.0:<port> of this host. */
function assertPortFree(port: number): Promise<void> {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.once('error', () => reject(new Error(`port ${port} is in use on this host; dev-web's site could not bind it in the simulator CT`)));
		srv.listen(port, '0.0.0.0', () => srv.close(() => resolve()));
	});
}

async function shot(p: Page, name: string): Promise<void> {
	// From the top: a full-page capture of a scrolled page repeats the sticky header mid-page.
	await p.evaluate(() => window.scrollTo(0, 0));
	await p.screenshot({ path: path.join(SCREENS, `full-flow-${name}.png`), fullPage: true });
}

/** The CT's vmid once the simulator runs it (its address is still held back by the fault). */
async function runningCt(hostname: string): Promise<number> {
	for (const end = Date.now() + 60_000; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
		const r = await pveRequest<{ vmid: number | string; name?: string; status: string }[]>(sim.simJson, 'GET', `/nodes/${sim.simJson.node}/lxc`);
		const ct = r.body?.data.find((c) => c.name === hostname && c.status === 'running');
		if (ct) return Number(ct.vmid);
	}
	throw new Error(`CT ${hostname} did not start`);
}

/** `pct exec` on the simulated Proxmox host, retried while the CT is still booting. */
async function pctExec(vmid: number, script: string): Promise<void> {
	const host = sim.simJson.host;
	let last = '';
	for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
		const r = await ssh(host.privateKeyPath, host.address, host.port, `pct exec ${vmid} -- sh -c ${quote(script)}`);
		if (r.code === 0) return;
		last = `${r.code}: ${r.stderr}`;
	}
	throw new Error(`pct exec ${vmid} failed: ${last}`);
}

/** A GET of Spyre's API from the signed-in page (Node cannot resolve the *.localhost names Chromium maps). */
async function apiGet<T>(pathname: string): Promise<T> {
	return page.evaluate(async (url) => {
		const res = await fetch(url);
		if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
		return res.json();
	}, pathname) as Promise<T>;
}

test.beforeAll(async ({ browser }) => {
	test.setTimeout(90_000);
	fs.mkdirSync(SCREENS, { recursive: true });
	await assertPortFree(WEB_PORT);
	repo = await buildAptRepo(1, { standIns: ['sudo', 'nginx', 'build-essential'], binaries: { nodejs: { path: '/usr/bin/node', from: process.execPath } } });
	sim = await startSim();
	proxy = await startRepoProxy(repo, simNetwork(sim.simJson).gateway);
	await setGatewayPorts(sim.simJson, [...simNetwork(sim.simJson).gatewayPorts, proxy.port]);
	fake = await startFakeAnthropicFor(sim.simJson, { acceptKeys: [API_KEY] });
	const [caddyPort, adminPort] = [await freePort(), await freePort()];
	publicUrl = `http://${BASE}:${caddyPort}`;
	// Spyre starts first: its first route apply finds no Caddy and is retried on the next health tick.
	spyre = await startSpyre({
		mode: 'built',
		simJson: sim.simJson,
		env: { SPYRE_HEALTH_MS: '1000' },
		config: {
			server: { public_url: publicUrl },
			caddy: { admin_url: `http://127.0.0.1:${adminPort}`, base_domain: BASE },
			claude: { api_base_url: fake.url },
			provision: { apt_proxy: proxy.url }
		}
	});
	// The first admin, created directly (a loopback public host needs no setup code); the test signs in.
	await setupAdmin(spyre.url, USER, PASS);
	caddy = await startCaddy({ siteHost: BASE, port: caddyPort, adminPort, upstream: `127.0.0.1:${spyre.port}` });
	context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
	// xterm's DOM renderer leaves the terminal's text readable (a user preference; WebGL draws to a canvas).
	await context.addInitScript(() => localStorage.setItem('spyre.terminal.renderer', 'dom'));
	page = await context.newPage();
});

test.afterAll(async () => {
	await context?.close();
	await caddy?.stop();
	await spyre?.stop();
	await sim?.stop();
	await fake?.stop();
	await proxy?.stop();
	repo?.remove();
});

test('sign in through Caddy', async () => {
	await page.goto(`${publicUrl}/`);
	await expect(page).toHaveURL(/\/login/);
	await page.getByLabel('Username').fill(USER);
	await page.getByLabel('Password').fill(PASS);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
	const cookie = (await context.cookies()).find((c) => c.name === SESSION_COOKIE);
	// Host-only on Spyre's host: service hosts under the same name never get it.
	expect(cookie?.domain).toBe(BASE);
	expect(cookie?.httpOnly).toBe(true);
	expect(cookie?.secure).toBe(true);
});

test('provision dev-web from its config page and watch it until done', async () => {
	test.setTimeout(180_000);
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Configs' }).click();
	await page.getByRole('link', { name: 'dev-web', exact: true }).first().click();
	await expect(page).toHaveURL(/\/configs\/dev-web$/);
	await expect(page.getByRole('heading', { name: 'dev-web', level: 1 })).toBeVisible();
	// The built-in config is the repo's file as it ships, not a test copy.
	const shipped = await apiGet<{ config: { builtIn: boolean; text: string } }>('/api/configs/dev-web');
	expect(shipped.config).toEqual(expect.objectContaining({ builtIn: true, text: fs.readFileSync(path.join(REPO_ROOT, 'configs/dev-web.yaml'), 'utf8') }));
	await page.getByRole('button', { name: 'Provision' }).click();
	const dialog = page.getByRole('dialog', { name: 'Provision dev-web' });
	await dialog.getByLabel('Hostname').fill(HOSTNAME);
	// dev-web (through ubuntu-dev) asks for an Ubuntu template this cluster does not have: the dialog says
	// so and offers the node's templates, preselecting environment.yaml's default.
	await expect(dialog.getByText(/asks for ubuntu-24\.04-standard_24\.04-2_amd64\.tar\.zst, which node pve does not have/)).toBeVisible();
	await expect(dialog.getByLabel('Template')).toHaveValue(TEST_TEMPLATE);
	await shot(page, '00-template-missing');
	// Hold back CT addresses until the CT's apt points at the local repository (see the top of the file).
	await control(sim.simJson, { interfacesEmptyFor: { seconds: 120 } });
	await dialog.getByRole('button', { name: 'Provision', exact: true }).click();
	await page.waitForURL(/\/environments\/env-[^/]+$/);
	envId = new URL(page.url()).pathname.split('/').pop()!;
	await expect(page.getByRole('heading', { name: HOSTNAME, level: 1 })).toBeVisible();
	const bar = page.getByRole('progressbar', { name: 'Provisioning progress' });
	await expect(bar).toBeVisible();

	const vmid = await runningCt(HOSTNAME);
	await pctExec(vmid, `${ctProxiedRepoScript()} && ! command -v node`);
	await control(sim.simJson, { reset: true });

	const log = page.getByRole('log', { name: 'Provisioning log' });
	await expect(bar).toHaveAttribute('aria-valuenow', '100', { timeout: 150_000 });
	await expect(page.getByLabel(/^Phase 1, .*: done$/)).toBeVisible();
	await expect(page.getByLabel(/^Phase 3, .*: done$/)).toBeVisible();
	await expect(page.getByLabel(/^Phase \d+, .*: (failed|running|pending)/)).toHaveCount(0);
	// The config's own steps ran: its packages through the proxy (node among them, which the CT lacked), then its scripts.
	await expect(log).toContainText(`through the proxy ${proxy.url}`);
	await expect(log).toContainText('Setting up nginx (1.0)');
	await expect(log).toContainText('Setting up nodejs (1.0)');
	expect(proxy.hits.some((h) => /\/nodejs_1\.0_all\.deb$/.test(h))).toBe(true);
	await expect(log).toContainText('Script start-site finished');
	await expect(log).not.toContainText('deb.debian.org');
	await shot(page, '01-provisioned');
});

test('open its terminal and run a command', async () => {
	test.setTimeout(60_000);
	await expect(page.getByRole('tab').first()).toBeVisible({ timeout: 30_000 });
	await page.getByRole('tab').first().click();
	const terminal = page.getByRole('tabpanel').locator('section.terminal');
	await expect(terminal).toHaveAttribute('data-status', 'connected', { timeout: 30_000 });
	await terminal.locator('.xterm-helper-textarea').focus();
	await page.keyboard.type("cat /etc/motd; id -nG dev | tr ' ' +");
	await page.keyboard.press('Enter');
	const screen = terminal.locator('.xterm-rows');
	// What dev-web's files and users steps made (the typed line holds neither text).
	await expect(screen).toContainText('Welcome to dev-web.', { timeout: 15_000 });
	await expect(screen).toContainText('dev+sudo');
	await shot(page, '02-terminal');
});

test('open the service URL through Caddy: healthy, served by the CT, refused without the session', async ({ browser }) => {
	test.setTimeout(60_000);
	const item = page.getByRole('listitem').filter({ has: page.getByRole('link', { name: /^Open service web at / }) });
	await expect(item.getByText('healthy', { exact: true })).toBeVisible({ timeout: 30_000 });
	const link = item.getByRole('link');
	serviceUrl = (await link.textContent())!.trim();
	expect(serviceUrl).toBe(`http://web--${HOSTNAME}.${BASE}:${caddy.port}/`);
	// The link goes through Spyre's handshake, which sets the service's own credential on its host.
	expect(await link.getAttribute('href')).toBe(`/auth/service?host=web--${HOSTNAME}.${BASE}&to=%2F`);
	const [site] = await Promise.all([context.waitForEvent('page'), link.click()]);
	await site.waitForLoadState();
	await expect(site).toHaveURL(serviceUrl);
	await expect(site.getByRole('heading', { name: 'Hello from Spyre', level: 1 })).toBeVisible();
	await expect(site.getByText(`Served by Node.js from ${HOSTNAME}.`)).toBeVisible();
	await shot(site, '03-service');
	await site.close();

	// A browser without a session is sent (through the handshake) to sign in; the site's content never reaches it.
	const stranger = await browser.newContext();
	try {
		const p = await stranger.newPage();
		const res = await p.goto(serviceUrl);
		await expect(p).toHaveURL(new RegExp(`^${publicUrl.replace(/\./g, '\\.')}/login\\?next=`));
		await expect(p.getByRole('button', { name: 'Sign in' })).toBeVisible();
		expect(await p.content()).not.toContain('Hello from Spyre');
		let first = res?.request();
		while (first?.redirectedFrom()) first = first.redirectedFrom()!;
		expect(first?.url()).toBe(serviceUrl);
	} finally {
		await stranger.close();
	}
});

test('run a Claude task against the fake Messages API and watch it stream', async () => {
	test.setTimeout(90_000);
	const { ip } = await apiGet<{ ip: string }>(`/api/environments/${envId}`);
	expect(onBridge(sim.simJson, ip)).toBe(true);
	// Claude Code as a template would carry it (the product's own installer needs the internet).
	await installClaudeInCt(path.join(spyre.dataDir, 'ssh', 'id_ed25519'), ip, sim.simJson.sshPort);

	await page.goto(`${publicUrl}/settings/claude`);
	await page.getByText('Use an API key instead').click();
	await page.getByLabel('Anthropic API key').fill(API_KEY);
	await page.getByRole('button', { name: 'Save API key' }).click();
	await expect(page.getByTestId('claude-auth-state')).toHaveText('Authenticated', { timeout: 10_000 });

	await page.goto(`${publicUrl}/environments/${envId}`);
	await page.getByRole('link', { name: 'Claude tasks' }).click();
	await expect(page.getByRole('heading', { name: 'New Claude task' })).toBeVisible();
	await page.getByLabel('Prompt').fill(`Count slowly [[slow: ${LINES}, 300]]`);
	await page.getByRole('button', { name: 'Run', exact: true }).click();
	await expect(page).toHaveURL(/\?task=task-/);
	const transcript = page.getByLabel('Transcript of the task');
	// Lines arrive 300 ms apart: the first ones show while the task still runs.
	await expect(transcript.getByText(`slow line 2/${LINES}`)).toBeVisible({ timeout: 30_000 });
	await expect(transcript.getByText('Working…')).toBeVisible();
	await shot(page, '04-claude-streaming');
	await expect(transcript.getByText(`slow line ${LINES}/${LINES}`)).toBeVisible({ timeout: 30_000 });
	await expect(transcript.getByText(/^Finished · \$\d+\.\d{4} · 1 turn · /)).toBeVisible({ timeout: 15_000 });
	// The task ends (the CLI exited): no longer working, Resume offered, listed as succeeded.
	await expect(transcript.getByText('Working…')).toHaveCount(0, { timeout: 15_000 });
	await expect(page.getByRole('button', { name: 'Resume' })).toBeVisible();
	await expect(page.getByRole('link', { name: /^succeeded Count slowly/ })).toBeVisible();
	expect(fake.requests.some((r) => r.prompt.includes('Count slowly') && r.auth === 'api_key')).toBe(true);
	await shot(page, '05-claude-finished');
});

test('destroy it with the typed-name confirmation: gone, and its service URL no longer routed', async () => {
	test.setTimeout(90_000);
	await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: HOSTNAME }).click();
	await expect(page.getByRole('heading', { name: HOSTNAME, level: 1 })).toBeVisible();
	await page.getByRole('button', { name: 'Destroy', exact: true }).click();
	const dialog = page.getByRole('dialog', { name: `Destroy ${HOSTNAME}?` });
	const confirm = dialog.getByRole('button', { name: `Destroy ${HOSTNAME}` });
	await expect(confirm).toBeDisabled();
	await dialog.getByLabel(`Type ${HOSTNAME} to confirm`).fill(HOSTNAME);
	await confirm.click();
	// The page follows the environment away once it is removed.
	await page.waitForURL(/\/environments$/, { timeout: 60_000 });
	await expect(page.getByRole('link', { name: HOSTNAME })).toHaveCount(0);
	expect(await page.evaluate(async (url) => (await fetch(url)).status, `/api/environments/${envId}`)).toBe(404);

	await expect.poll(() => caddy.routes(), { timeout: 15_000 }).not.toContain(`spyre-svc-${envId}-`);
	// No route matches any more: Caddy's empty default answer (a route left behind would ask Spyre for the
	// session, then fail to reach the gone CT with a 502).
	const site = await context.newPage();
	const res = await site.goto(serviceUrl);
	expect(res?.status()).toBe(200);
	expect(await res?.text()).toBe('');
	await site.close();
});
