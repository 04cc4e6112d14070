// The one error funnel in Chromium: a failed action with no inline place for its message (re-checking the
// host key of a container whose sshd died) shows a notice in the Notifications region, announced as an
// alert, named after the environment, and gone when dismissed. Form problems stay on the form.
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
	sim = await startSim({ nodes: ['pve'] });
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

test('a failed action shows a dismissible notice; form problems stay inline', async ({ page }) => {
	test.setTimeout(90_000);
	await signIn(page);
	const notices = page.getByRole('region', { name: 'Notifications' });
	await expect(notices.getByRole('alert')).toHaveCount(0);

	// Inline, not a notice: the form says what is wrong beside the field.
	await page.getByRole('button', { name: 'New environment' }).first().click();
	await page.getByLabel('Hostname').fill('-bad');
	await page.getByLabel('Cores').fill('0');
	await page.getByRole('button', { name: 'Create environment' }).click();
	await expect(page.getByText(/lowercase letters, digits and single hyphens/)).toBeVisible();
	await expect(page.getByText('Cores must be between 1 and 128.')).toBeVisible();
	await expect(notices.getByRole('alert')).toHaveCount(0);

	await page.getByLabel('Hostname').fill('toast-box');
	await page.getByLabel('Cores').fill('1');
	await expect(page.getByLabel('Template')).toHaveValue(TEST_TEMPLATE);
	await page.getByRole('button', { name: 'Create environment' }).click();
	const box = page.getByRole('article', { name: 'toast-box' });
	await expect(box).toHaveAttribute('data-status', 'running', { timeout: 30_000 });

	await box.getByRole('link', { name: 'toast-box' }).click();
	await expect(page.getByRole('heading', { name: 'toast-box', level: 1 })).toBeVisible();
	const vmid = Number(/CT (\d+)/.exec((await page.getByText(/^CT \d+ on /).textContent()) ?? '')?.[1]);
	expect(vmid).toBeGreaterThan(0);
	await control(sim.simJson, { killSshd: { vmid } });

	await page.getByRole('button', { name: 'Re-trust' }).click();
	const alert = notices.getByRole('alert');
	await expect(alert).toHaveCount(1, { timeout: 20_000 });
	await expect(alert).toContainText(/^toast-box: /);
	await page.screenshot({ path: 'test-results/screens/notice-error.png' });

	await alert.getByRole('button', { name: /^Dismiss/ }).click();
	await expect(notices.getByRole('alert')).toHaveCount(0);
});
