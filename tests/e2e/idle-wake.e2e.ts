// Wake in Chromium, through the real Caddy and forward_auth: a stopped environment's service URL shows the
// "starting…" page on the service's own origin, starts it, and the same tab shows the service; stopped again,
// "Open a terminal" on its page starts it and attaches; the dashboard counts the memory a stopped one gives back.
// The environment is stopped through the normal Stop API, never by waiting out an idle time (a real minute per
// stop): the idle stop itself, its audit and its "Stopped (idle)" marker are pinned with an injected clock by
// tests/integration/idle-stop.test.ts, and the marker's rendering by src/lib/components/StatusBadge.spec.ts.
// Kept short: one environment, one shared port. Screenshots at 1280 and 390 px.
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import baseConfig from '../../playwright.config';
import { command } from '../../src/lib/server/shell';
import { startCaddy, type RunningCaddy } from '../helpers/caddy';
import { createEnvironment, signedInApi, waitForEnvironment, type Api } from '../helpers/environments';
import { ssh, startSim, type RunningSim } from '../helpers/sim';
import { freePort, REPO_ROOT, setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { signInThroughForm } from '../helpers/sign-in';
import { TEST_TEMPLATE } from '../helpers/templates';
import { waitFor } from '../helpers/wait';

const BASE = 'spyre.localhost';
const HOSTNAME = 'idle-e2e';
const USER = 'ada';
const PASS = 'idle-wake-password-1';
const PORT = 8080;
const SCREENS = path.join(REPO_ROOT, 'test-results', 'screens');

const base = baseConfig.use?.launchOptions ?? {};
test.describe.configure({ mode: 'serial' });
test.use({
	launchOptions: {
		...base,
		// *.localhost is loopback anyway; the rule pins it to 127.0.0.1, where Caddy listens (not ::1).
		args: [...(base.args ?? []), `--host-resolver-rules=MAP ${BASE} 127.0.0.1, MAP *.${BASE} 127.0.0.1`]
	}
});

let sim: RunningSim;
let spyre: RunningSpyre;
let caddy: RunningCaddy;
let api: Api;
let envId = '';
let publicUrl = '';

/** A web server in the CT (it does not survive a stop: the simulator's CTs run no init of their own). */
async function serve(ip: string): Promise<void> {
	const r = await ssh(path.join(spyre.dataDir, 'ssh', 'id_ed25519'), ip, sim.simJson.sshPort, `cd /tmp; nohup ${command('python3', '-m', 'http.server', String(PORT))} >/dev/null 2>&1 </dev/null &`);
	expect(r.code, r.stderr).toBe(0);
}

async function status(): Promise<string> {
	const res = await api('GET', `/api/environments/${envId}`);
	return ((await res.json()) as { status: string }).status;
}

/** Stopped as a person stops it (the Stop button's request), and waited for. */
async function stop(): Promise<void> {
	const res = await api('POST', `/api/environments/${envId}/stop`);
	expect(res.status, await res.text()).toBe(202);
	await waitFor(status, (s) => s === 'stopped', 60_000, 250);
}

test.beforeAll(async () => {
	test.setTimeout(240_000);
	sim = await startSim();
	const [caddyPort, adminPort] = [await freePort(), await freePort()];
	publicUrl = `http://${BASE}:${caddyPort}`;
	spyre = await startSpyre({
		mode: 'built',
		simJson: sim.simJson,
		// No sweeper: nothing here stops or starts on its own, only the Stop API and the wakes under test.
		env: { SPYRE_HEALTH_MS: '1000', SPYRE_IDLE_SWEEP_MS: '0' },
		config: { server: { public_url: publicUrl }, caddy: { admin_url: `http://127.0.0.1:${adminPort}`, base_domain: BASE } }
	});
	api = signedInApi(spyre.url, await setupAdmin(spyre.url, USER, PASS));
	caddy = await startCaddy({ siteHost: BASE, port: caddyPort, adminPort, upstream: `127.0.0.1:${spyre.port}` });
	const env = await createEnvironment(api, { hostname: HOSTNAME, template: TEST_TEMPLATE, cores: 1, memory: 512, disk: 4 }, { timeoutMs: 150_000 });
	envId = env.id;
	await serve(env.ip!);
	// Shared once it listens (the share reads the CT's listeners); nothing else uses it from here on.
	await waitFor(
		async () => (await api('POST', `/api/environments/${envId}/ports`, { port: PORT })).status,
		(s) => s === 201,
		30_000,
		500
	);
	await stop();
});

test.afterAll(async () => {
	await caddy?.stop();
	await spyre?.stop();
	await sim?.stop();
});

async function shoot(page: Page, name: string): Promise<void> {
	await page.screenshot({ path: path.join(SCREENS, `${name}-1280.png`), fullPage: true });
	await page.setViewportSize({ width: 390, height: 844 });
	await page.screenshot({ path: path.join(SCREENS, `${name}-390.png`), fullPage: true });
	await page.setViewportSize({ width: 1280, height: 800 });
}

test('a stopped environment gives its memory back on the dashboard; its page offers the terminal that starts it', async ({ page }) => {
	await signInThroughForm(page, publicUrl, USER, PASS, '/');
	// Stopped by a person: counted, without the "stopped by Spyre" part (that one is the integration test's).
	await expect(page.locator('[data-given-back-mb="512"]')).toHaveText('512 MiB of memory given back by 1 stopped environment.');
	await shoot(page, 'idle-dashboard');
	await page.goto(`${publicUrl}/environments/${envId}`);
	await expect(page.getByRole('button', { name: `Open a terminal (starts ${HOSTNAME})` })).toBeVisible();
});

test('a stopped environment\'s service URL shows "starting…", starts it, then loads the service', async ({ page }) => {
	test.setTimeout(120_000);
	await signInThroughForm(page, publicUrl, USER, PASS, '/');
	const serviceUrl = `http://p${PORT}--${HOSTNAME}.${BASE}:${caddy.port}/`;
	await page.goto(serviceUrl);
	await expect(page.getByRole('heading', { name: `Starting ${HOSTNAME}…` })).toBeVisible({ timeout: 15_000 });
	expect(new URL(page.url()).host).toBe(new URL(serviceUrl).host);
	await shoot(page, 'idle-starting');

	// Nobody pressed Start: the service URL did. Its web server comes back with it, as a boot script would.
	const env = await waitForEnvironment(api, envId, { timeoutMs: 90_000 });
	await serve(env.ip!);
	// The page reloads itself until the service answers in its place.
	await expect(page.getByRole('heading', { name: 'Directory listing for /' })).toBeVisible({ timeout: 30_000 });
	expect(page.url()).toBe(serviceUrl);
});

test('"Open a terminal" on the stopped environment\'s page starts it and attaches', async ({ page }) => {
	test.setTimeout(120_000);
	await stop();
	await signInThroughForm(page, publicUrl, USER, PASS, `/environments/${envId}`);
	await page.getByRole('button', { name: `Open a terminal (starts ${HOSTNAME})` }).click();
	await expect(page.locator('section.terminal').first()).toHaveAttribute('data-status', 'connected', { timeout: 90_000 });
	expect(await status()).toBe('running');
});
