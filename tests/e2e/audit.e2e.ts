// The audit viewer in Chromium: from the settings page to the viewer, a filter by action that survives a
// reload, a row opened into its detail, a CSV export of the filtered set, and screenshots at desktop and
// phone widths. Bulk rows go straight into the (append-only) database; no Proxmox is needed.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { signInThroughForm } from '../helpers/sign-in';

let spyre: RunningSpyre;
const USER = 'grace';
const PASS = 'correct-horse-battery';

test.beforeAll(async () => {
	spyre = await startSpyre({ mode: 'built' });
	await setupAdmin(spyre.url, USER, PASS);
	const db = new Database(spyre.dbPath);
	try {
		const insert = db.prepare('INSERT INTO audit_log (ts, user_id, username, action, target, outcome, ip, detail) VALUES (?, 1, ?, ?, ?, ?, ?, ?)');
		const t0 = Date.now() - 3 * 24 * 3600_000;
		for (let i = 0; i < 70; i++) {
			const action = i % 3 === 0 ? 'environment.destroy' : 'environment.create';
			insert.run(
				t0 + i * 60_000,
				USER,
				action,
				`dev-web-${i}`,
				i % 9 === 0 ? 'failure' : 'success',
				'127.0.0.1',
				i % 9 === 0 ? `Proxmox refused the request for dev-web-${i}: storage "local-lvm" is full (needs 8 GiB, 2 GiB free)` : `created CT ${200 + i}`
			);
		}
	} finally {
		db.close();
	}
});

test.afterAll(async () => {
	await spyre?.stop();
});

async function signIn(page: Page, next: string) {
	await signInThroughForm(page, spyre.url, USER, PASS, next);
}

test('filter by action, open a detail, export the filtered set as CSV', async ({ page }) => {
	// Failed sign-ins, counted but not yet summed up in the log: their list must not push the entries down.
	await page.goto(`${spyre.url}/login`);
	for (let i = 0; i < 3; i++) {
		await page.getByLabel('Username').fill('mallory');
		await page.getByLabel('Password').fill('wrong-password');
		await page.getByRole('button', { name: 'Sign in' }).click();
		await expect(page.getByRole('alert')).toBeVisible();
	}
	await signIn(page, '/settings');
	await page.getByRole('link', { name: /Filter, page through and export/ }).click();
	await expect(page.getByRole('heading', { name: 'Audit log', level: 1 })).toBeVisible();

	// The hint and the suggestions name the families the log really has (actions are environment.*, not env.*).
	await expect(page.getByLabel('Action')).toHaveAttribute('placeholder', 'environment.* for a prefix');
	await expect(page.locator('#f-actions option[value="environment.*"]')).toHaveCount(1);
	await expect(page.locator('#f-actions option[value^="env."]')).toHaveCount(0);
	await page.getByLabel('Action').fill('environment.destroy');
	await page.getByRole('button', { name: 'Apply filter' }).click();
	await page.waitForURL(/action=environment\.destroy/);
	const results = page.getByRole('region', { name: 'Entries' });
	await expect(results.locator('tbody tr')).toHaveCount(24);
	await expect(results.locator('tbody tr td:nth-child(3)')).toHaveText(Array(24).fill('environment.destroy'));
	// The pending sign-in failures are one folded line: the filtered entries start on the first screen.
	await expect(page.getByText(/Sign-in failures not yet in the log \(\d+\)/)).toBeVisible();
	const top = (await results.locator('tbody tr').first().boundingBox())!.y;
	expect(top).toBeLessThan(page.viewportSize()!.height);

	// The filter lives in the URL: a reload shows the same rows and the same form.
	await page.reload();
	await expect(page.getByLabel('Action')).toHaveValue('environment.destroy');
	await expect(results.locator('tbody tr')).toHaveCount(24);

	// Clicking anywhere on a row opens its detail, with the full (untruncated) detail text.
	const failed = results.locator('tbody tr', { hasText: 'dev-web-63' });
	await failed.locator('td').nth(3).click();
	const detail = page.getByRole('region', { name: /Entry #\d+/ });
	await expect(detail).toBeVisible();
	await expect(detail).toContainText('storage "local-lvm" is full (needs 8 GiB, 2 GiB free)');
	await expect(detail).toBeFocused();
	await expect(page).toHaveURL(/action=environment\.destroy.*id=\d+|id=\d+.*action=environment\.destroy/);
	await page.screenshot({ path: 'test-results/screens/audit-1280.png', fullPage: true });

	const downloading = page.waitForEvent('download');
	await page.getByRole('link', { name: 'Export CSV' }).click();
	const download = await downloading;
	expect(download.suggestedFilename()).toMatch(/^spyre-audit-.*\.csv$/);
	const csv = fs.readFileSync(await download.path(), 'utf8').replace(/^\uFEFF/, '');
	const lines = csv.trimEnd().split('\r\n');
	expect(lines[0]).toBe('id,time_utc,ts_ms,user_id,username,action,target,outcome,ip,detail');
	expect(lines).toHaveLength(25);
	expect(lines.slice(1).every((l) => l.includes(',environment.destroy,'))).toBe(true);

	await page.getByRole('link', { name: 'Close' }).click();
	await expect(detail).toHaveCount(0);
});

test('a page that does not exist says so, without an error id', async ({ page }) => {
	await signIn(page, '/settings');
	const res = await page.goto(`${spyre.url}/settings/no-such-page`);
	expect(res?.status()).toBe(404);
	await expect(page.getByRole('heading', { name: 'This page does not exist' })).toBeVisible();
	await expect(page.getByText(/Error id/)).toHaveCount(0);
});

test('paging and a phone-width layout', async ({ page }) => {
	await page.setViewportSize({ width: 390, height: 844 });
	await signIn(page, '/settings/audit');
	const results = page.getByRole('region', { name: 'Entries' });
	await expect(results.locator('tbody tr')).toHaveCount(50);
	await page.getByRole('link', { name: 'Older →' }).click();
	await expect(page).toHaveURL(/before=\d+(:|%3A)\d+/);
	await expect(page.getByRole('link', { name: '← Newer' })).toBeVisible();
	// Nothing wider than the screen: the table turns into stacked rows.
	const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
	expect(overflow).toBeLessThanOrEqual(0);
	await page.screenshot({ path: 'test-results/screens/audit-390.png', fullPage: true });
	await page.screenshot({ path: 'test-results/screens/audit-390-top.png' });
	await results.locator('tbody tr').nth(3).click();
	await expect(page.getByRole('region', { name: /Entry #\d+/ })).toBeFocused();
	await page.screenshot({ path: 'test-results/screens/audit-390-detail.png' });
});
