// The environment page's Ports section in Chromium: a server started in the CT shows up with its process
// name on its own (the page polls while it is open), a loopback-only one is greyed with why, Share gives
// the port its URL and an Unshare button, Unshare takes it away. Screenshots at 1280 and 390 px.
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { command } from '../../src/lib/server/shell';
import { startCaddy, type RunningCaddy } from '../helpers/caddy';
import { createEnvironment, signedInApi } from '../helpers/environments';
import { ssh, startSim, type RunningSim } from '../helpers/sim';
import { freePort, setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { signInThroughForm } from '../helpers/sign-in';
import { TEST_TEMPLATE } from '../helpers/templates';

const TEMPLATE = TEST_TEMPLATE;
const USER = 'ada';
const PASS = 'correct-horse-battery';
let sim: RunningSim;
let spyre: RunningSpyre;
let caddy: RunningCaddy;
let envId: string;
let ctIp: string;
const pids: string[] = [];

const inCt = (cmd: string) => ssh(path.join(spyre.dataDir, 'ssh', 'id_ed25519'), ctIp, sim.simJson.sshPort, cmd);

test.beforeAll(async () => {
	test.setTimeout(240_000);
	sim = await startSim();
	const [caddyPort, adminPort] = [await freePort(), await freePort()];
	spyre = await startSpyre({ mode: 'built', simJson: sim.simJson, config: { caddy: { admin_url: `http://127.0.0.1:${adminPort}`, base_domain: 'spyre.test' } } });
	caddy = await startCaddy({ siteHost: '127.0.0.1', port: caddyPort, adminPort, upstream: `127.0.0.1:${spyre.port}` });
	const cookie = await setupAdmin(spyre.url, USER, PASS);
	const env = await createEnvironment(signedInApi(spyre.url, cookie), { hostname: 'ports-e2e', template: TEMPLATE, cores: 1, memory: 512, disk: 4 }, { timeoutMs: 150_000 });
	envId = env.id;
	ctIp = env.ip!;
});

test.afterAll(async () => {
	if (ctIp) for (const pid of pids) await inCt(`kill ${pid}`);
	await caddy?.stop();
	await spyre?.stop();
	await sim?.stop();
});

async function serve(port: number, bind: string) {
	const r = await inCt(`cd /tmp; nohup ${command('python3', '-m', 'http.server', String(port), '--bind', bind)} >/dev/null 2>&1 </dev/null & echo $!`);
	expect(r.code, r.stderr).toBe(0);
	pids.push(r.stdout.trim());
}

const row = (page: Page, port: number) => page.getByTestId('ports').locator(`li[data-port="${port}"]`);

test('a listening port shows up live, is shared and unshared', async ({ page }) => {
	test.setTimeout(90_000);
	await signInThroughForm(page, spyre.url, USER, PASS, `/environments/${envId}`);
	const section = page.getByTestId('ports');
	await expect(section.getByRole('heading', { name: 'Ports' })).toBeVisible();
	// Started after the page opened: the page's own polling finds them.
	await serve(8080, '0.0.0.0');
	await serve(5173, '127.0.0.1');
	await expect(row(page, 8080)).toContainText('python3', { timeout: 20_000 });
	await expect(row(page, 5173)).toContainText('listening on 127.0.0.1 only', { timeout: 20_000 });
	await expect(row(page, 5173).getByRole('button')).toHaveCount(0);

	await row(page, 8080).getByRole('button', { name: 'Share port 8080' }).click();
	await expect(row(page, 8080).getByRole('link', { name: /Open port 8080 at http:\/\/p8080--ports-e2e\.spyre\.test/ })).toBeVisible();
	await expect(row(page, 8080).getByRole('button', { name: 'Unshare port 8080' })).toBeVisible();
	await section.screenshot({ path: 'test-results/screens/ports-1280.png' });
	await page.setViewportSize({ width: 390, height: 844 });
	await section.screenshot({ path: 'test-results/screens/ports-390.png' });
	await page.screenshot({ path: 'test-results/screens/ports-page-390.png', fullPage: true });
	await page.setViewportSize({ width: 1280, height: 800 });

	await row(page, 8080).getByRole('button', { name: 'Unshare port 8080' }).click();
	await expect(row(page, 8080).getByRole('button', { name: 'Share port 8080' })).toBeVisible();
	await expect(row(page, 8080).getByRole('link')).toHaveCount(0);
});
