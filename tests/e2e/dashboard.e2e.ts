// The dashboard in Chromium against the simulator: an empty cluster shows the first-run view, then an
// environment created elsewhere (a plain API call, as another person or tab would) changes the counts
// and the node's charge live, without a reload. Screenshots at desktop and phone widths.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { startSim, type RunningSim } from '../helpers/sim';
import { setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { signInThroughForm } from '../helpers/sign-in';
import { TEST_TEMPLATE } from '../helpers/templates';

let sim: RunningSim;
let spyre: RunningSpyre;
const USER = 'ada';
const PASS = 'correct-horse-battery';
const SCREENS = 'test-results/screens';

test.beforeAll(async () => {
	sim = await startSim({ nodes: ['pve', 'pve2'] });
	spyre = await startSpyre({ mode: 'built', simJson: sim.simJson });
	await setupAdmin(spyre.url, USER, PASS);
});

test.afterAll(async () => {
	await spyre?.stop();
	await sim?.stop();
});

async function signIn(page: Page) {
	await signInThroughForm(page, spyre.url, USER, PASS, '/');
	await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
}

async function shoot(page: Page, name: string) {
	await page.setViewportSize({ width: 1280, height: 800 });
	await page.screenshot({ path: `${SCREENS}/dashboard-${name}-1280.png`, fullPage: true });
	await page.setViewportSize({ width: 390, height: 844 });
	await page.screenshot({ path: `${SCREENS}/dashboard-${name}-390.png`, fullPage: true });
	// Nothing wider than a phone's screen (a sideways scroll).
	expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
	await page.setViewportSize({ width: 1280, height: 800 });
}

test('first-run view on an empty cluster, then counts that follow a new environment live', async ({ page }) => {
	test.setTimeout(90_000);
	await signIn(page);
	await expect(page.getByRole('heading', { name: 'Welcome to Spyre' })).toBeVisible();
	await expect(page.locator('[data-count="running"]')).toHaveCount(0);
	await expect(page.getByRole('navigation', { name: 'Quick actions' }).getByRole('link', { name: 'New environment' })).toHaveAttribute('href', '/environments?new=1');
	const pve = page.locator('[data-node="pve"]');
	await expect(pve).toContainText('0 managed');
	// The simulator's node already holds guests Spyre does not manage: remember their cores.
	const coresOn = async () => Number(/Cores\s*(\d+) \//.exec((await pve.textContent()) ?? '')?.[1]);
	const coresBefore = await coresOn();
	expect(coresBefore).not.toBeNaN();
	await shoot(page, 'empty');

	// Created through the API from the page itself: no navigation, so only live events can change it.
	const marker = await page.evaluate(() => ((window as unknown as { __marker: number }).__marker = Math.random()));
	const status = await page.evaluate(async (template) => {
		const res = await fetch('/api/environments', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ hostname: 'dash-box', template, cores: 2, memory: 1024, disk: 8, node: 'pve' })
		});
		return res.status;
	}, TEST_TEMPLATE);
	expect(status).toBe(202);

	await expect(page.getByRole('heading', { name: 'Welcome to Spyre' })).toHaveCount(0);
	await expect(page.locator('[data-count="total"]')).toContainText('1 total');
	await expect(page.locator('[data-count="running"] .n')).toHaveText('1', { timeout: 30_000 });
	await expect(page.locator('[data-count="busy"] .n')).toHaveText('0');
	await expect(pve).toContainText('1 managed');
	await expect(pve.getByRole('meter', { name: 'Cores allocated on pve' })).toBeVisible();
	await expect.poll(coresOn).toBe(coresBefore + 2);
	// Still the same document: nothing reloaded it.
	expect(await page.evaluate(() => (window as unknown as { __marker?: number }).__marker)).toBe(marker);
	// The run's end refreshes the activity list (no event carries audit rows).
	await expect(page.getByRole('region', { name: 'Recent activity' })).toContainText('environment.create', { timeout: 10_000 });
	await shoot(page, 'one');

	// Removed elsewhere: the counts fall back and the first-run view returns.
	const envId = await page.evaluate(async () => {
		const res = await fetch('/api/environments');
		const inv = (await res.json()) as { environments: Array<{ id: string; hostname: string }> };
		return inv.environments.find((e) => e.hostname === 'dash-box')?.id ?? null;
	});
	expect(envId).not.toBeNull();
	const del = await page.evaluate(async (id) => (await fetch(`/api/environments/${id}`, { method: 'DELETE' })).status, envId);
	expect(del).toBeLessThan(300);
	await expect(page.getByRole('heading', { name: 'Welcome to Spyre' })).toBeVisible({ timeout: 30_000 });
});

test('a provision started elsewhere shows its progress, then its outcome, live', async ({ page }) => {
	test.setTimeout(120_000);
	// A config with one slow script: long enough to be seen running, no packages (no network in tests).
	fs.mkdirSync(path.join(spyre.dataDir, 'configs'), { recursive: true });
	fs.writeFileSync(
		path.join(spyre.dataDir, 'configs', 'dash-prov.yaml'),
		`apiVersion: spyre/v1
kind: Environment
metadata:
  name: dash-prov
spec:
  platform:
    template: ${TEST_TEMPLATE}
    cores: 1
    memory: 512
    disk: 4
  provision:
    scripts:
      - name: settle
        run: |
          echo "settling"
          sleep 3
          echo "settled"
`
	);
	await signIn(page);
	const provisions = page.getByRole('region', { name: 'Provisions' });
	await expect(provisions).toContainText('No provisions yet');
	const status = await page.evaluate(async () => {
		const res = await fetch('/api/environments/provision', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ config: 'dash-prov', hostname: 'dash-prov' })
		});
		return res.status;
	});
	expect(status).toBe(202);
	const row = provisions.locator('li', { hasText: 'dash-prov' });
	await expect(row).toHaveAttribute('data-run-status', 'running', { timeout: 30_000 });
	await expect(row.getByRole('progressbar', { name: 'Provisioning dash-prov' })).toBeVisible();
	await expect(page.locator('[data-count="busy"] .n')).toHaveText('1');
	await shoot(page, 'provisioning');
	await expect(row).toHaveAttribute('data-run-status', 'succeeded', { timeout: 90_000 });
	await expect(page.locator('[data-count="running"] .n')).toHaveText('1', { timeout: 10_000 });
	await shoot(page, 'provisioned');
});
