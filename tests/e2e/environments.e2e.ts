// A person managing environments in Chromium: create from the form, watch it come up with an IP, stop,
// start, destroy; and a failing create (simulator fault switch) shown with Proxmox's message.
import { expect, test, type Page } from '@playwright/test';
import { control, startSim, type RunningSim } from '../helpers/sim';
import { setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { signInThroughForm } from '../helpers/sign-in';
import { TEST_TEMPLATE } from '../helpers/templates';

let sim: RunningSim;
let spyre: RunningSpyre;
const USER = 'ada';
const PASS = 'correct-horse-battery';

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
	await signInThroughForm(page, spyre.url, USER, PASS, '/environments');
	await expect(page.getByRole('heading', { name: 'Environments', level: 1 })).toBeVisible();
}

function card(page: Page, hostname: string) {
	return page.getByRole('article', { name: hostname });
}

function totals(page: Page) {
	return page.getByTestId('environment-totals');
}

test('create from the form, reach running with an IP, stop, start, destroy', async ({ page }) => {
	await signIn(page);
	await expect(page.getByRole('heading', { name: 'Virtual machines' })).toBeVisible();
	await expect(totals(page)).toHaveText('0 environments, 0 running');
	// A second tab on the list sees the create only through live events (an environment it did not hold).
	const watcher = await page.context().newPage();
	await watcher.setViewportSize({ width: 390, height: 844 });
	await watcher.goto(`${spyre.url}/environments`);
	await expect(totals(watcher)).toHaveText('0 environments, 0 running');
	await page.screenshot({ path: 'test-results/screens/environments-before-create-1280.png', fullPage: true });
	await watcher.screenshot({ path: 'test-results/screens/environments-before-create-390.png', fullPage: true });
	await page.getByRole('button', { name: 'New environment' }).first().click();

	// Inline validation before anything is sent.
	await page.getByLabel('Hostname').fill('Bad Name!');
	await page.getByLabel('Hostname').blur();
	await expect(page.getByText(/lowercase letters, digits and single hyphens/)).toBeVisible();

	await page.getByLabel('Hostname').fill('e2e-box');
	await expect(page.getByLabel('Template')).toHaveValue(TEST_TEMPLATE);
	await page.getByLabel('Cores').fill('1');
	await page.getByLabel('Memory (MiB)').fill('512');
	await page.getByLabel('Disk (GiB)').fill('4');
	await page.getByRole('button', { name: 'Create environment' }).click();

	const box = card(page, 'e2e-box');
	await expect(box).toBeVisible();
	// The header counts it at once, here and in the other tab (the load said 0).
	await expect(totals(page)).toHaveText(/^1 environment, [01] running$/);
	await expect(totals(watcher)).toHaveText(/^1 environment, [01] running$/);
	// Live progress: Proxmox's task log lines appear while it is created.
	await expect(box).toHaveAttribute('data-status', 'running', { timeout: 30_000 });
	// The address Spyre verified, inside the simulator's bridge network (CTs have their own network).
	const net = sim.simJson.network!.gateway.split('.').slice(0, 3).join('\\.');
	await expect(box.getByText(new RegExp(`${net}\\.\\d+`))).toBeVisible();
	await page.screenshot({ path: 'test-results/screens/environments-running.png', fullPage: true });
	await expect(totals(page)).toHaveText('1 environment, 1 running');
	await expect(totals(watcher)).toHaveText('1 environment, 1 running');
	await watcher.screenshot({ path: 'test-results/screens/environments-after-create-390.png', fullPage: true });

	await box.getByRole('button', { name: 'Stop' }).click();
	await expect(box).toHaveAttribute('data-status', 'stopped', { timeout: 30_000 });
	await expect(totals(page)).toHaveText('1 environment, 0 running');
	await expect(totals(watcher)).toHaveText('1 environment, 0 running');
	await box.getByRole('button', { name: 'Start' }).click();
	await expect(box).toHaveAttribute('data-status', 'running', { timeout: 30_000 });

	// The state is the truth after a reload too.
	await page.reload();
	await expect(card(page, 'e2e-box')).toHaveAttribute('data-status', 'running');

	await card(page, 'e2e-box').getByRole('button', { name: 'Destroy' }).click();
	const dialog = page.getByRole('dialog', { name: 'Destroy e2e-box?' });
	await expect(dialog.getByRole('button', { name: 'Destroy e2e-box' })).toBeDisabled();
	await dialog.getByLabel(/Type e2e-box to confirm/).fill('e2e-box');
	await dialog.getByRole('button', { name: 'Destroy e2e-box' }).click();
	await expect(card(page, 'e2e-box')).toHaveCount(0, { timeout: 30_000 });
	await expect(totals(page)).toHaveText('0 environments, 0 running');
	await expect(totals(watcher)).toHaveText('0 environments, 0 running');
	await watcher.close();
});

test('a failing create shows the Proxmox message and can be removed', async ({ page }) => {
	await signIn(page);
	await control(sim.simJson, { failNext: { type: 'vzcreate', message: 'storage local-lvm is full' } });
	await page.getByRole('button', { name: 'New environment' }).first().click();
	await page.getByLabel('Hostname').fill('e2e-doomed');
	await expect(page.getByLabel('Template')).toHaveValue(TEST_TEMPLATE);
	await page.getByRole('button', { name: 'Create environment' }).click();
	const box = card(page, 'e2e-doomed');
	await expect(box).toHaveAttribute('data-status', 'error', { timeout: 30_000 });
	await expect(box.getByRole('alert')).toContainText('storage local-lvm is full');
	await page.screenshot({ path: 'test-results/screens/environments-failed.png', fullPage: true });

	// A duplicate hostname is refused inline by the server.
	await page.getByRole('button', { name: 'New environment' }).first().click();
	await page.getByLabel('Hostname').fill('e2e-doomed');
	await page.getByRole('button', { name: 'Create environment' }).click();
	await expect(page.getByText('An environment named e2e-doomed already exists.')).toBeVisible();
	await page.getByRole('button', { name: 'Cancel' }).click();

	await box.getByRole('button', { name: 'Remove' }).click();
	const dialog = page.getByRole('dialog', { name: 'Destroy e2e-doomed?' });
	await dialog.getByLabel(/Type e2e-doomed to confirm/).fill('e2e-doomed');
	await dialog.getByRole('button', { name: 'Destroy e2e-doomed' }).click();
	await expect(card(page, 'e2e-doomed')).toHaveCount(0, { timeout: 30_000 });
});
