// First boot, sign out, sign in, wrong password, ?next= redirects and the main navigation, driven in
// Debian's Chromium against the built server. Screenshots of every page go to test-results/screens/.

import { expect, test, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, startSpyre, type RunningSpyre } from '../helpers/spyre';

const SCREENS = path.join(REPO_ROOT, 'test-results', 'screens');
const USER = 'admin';
const PASSWORD = 'e2e-password-123';
const TOKEN_SECRET = '00000000-0000-0000-0000-000000000000'; // the helper's dummy Proxmox secret

test.describe.configure({ mode: 'serial' });

let spyre: RunningSpyre;
let page: Page;

async function shot(name: string, p: Page = page): Promise<void> {
	await p.screenshot({ path: path.join(SCREENS, `${name}.png`), fullPage: true });
}

async function signIn(username: string, password: string): Promise<void> {
	await page.getByLabel('Username').fill(username);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
}

async function signOut(): Promise<void> {
	await page.getByRole('button', { name: 'Sign out' }).click();
	await expect(page).toHaveURL(`${spyre.url}/login`);
}

test.beforeAll(async ({ browser }) => {
	fs.mkdirSync(SCREENS, { recursive: true });
	spyre = await startSpyre();
	page = await browser.newPage();
});

test.afterAll(async () => {
	await page?.close();
	await spyre?.stop();
});

test('first boot sends you to setup, which validates inline', async () => {
	await page.goto(`${spyre.url}/`);
	await expect(page).toHaveURL(`${spyre.url}/setup`);
	await expect(page.getByRole('heading', { level: 1, name: 'Welcome to Spyre' })).toBeVisible();
	await shot('01-setup');

	const username = page.getByLabel('Username');
	const password = page.getByLabel('Password', { exact: true });
	const confirm = page.getByLabel('Confirm password');
	const create = page.getByRole('button', { name: 'Create account' });

	await username.fill(USER);
	await password.fill('short');
	await confirm.fill('short');
	await create.click();
	await expect(page.getByText('Use at least 10 characters.')).toBeVisible();
	await expect(password).toHaveAttribute('aria-invalid', 'true');
	await expect(username).toHaveValue(USER);
	await shot('02-setup-short-password');

	await password.fill(PASSWORD);
	await confirm.fill(`${PASSWORD}-typo`);
	await create.click();
	await expect(page.getByText('The two passwords differ.')).toBeVisible();
	await expect(confirm).toHaveAttribute('aria-invalid', 'true');
	await expect(page.getByText('Use at least 10 characters.')).toHaveCount(0);
	await shot('03-setup-mismatch');

	await password.fill(PASSWORD);
	await confirm.fill(PASSWORD);
	await create.click();
	await expect(page).toHaveURL(`${spyre.url}/`);
	await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
	await shot('04-dashboard');
});

test('live updates connect after signing in, without a reload', async () => {
	// The layout stays mounted across the client-side redirect from /setup or /login: it must still connect.
	await expect(page.locator('[data-live]')).toHaveAttribute('data-live', 'open', { timeout: 3000 });
});

test('live updates (/api/events) connect from the browser on a full page load', async () => {
	await page.reload();
	await expect(page.locator('[data-live]')).toHaveAttribute('data-live', 'open');
});

test('the session cookie is HttpOnly and SameSite=Lax', async () => {
	const cookies = await page.context().cookies(spyre.url);
	const session = cookies.find((c) => c.name === 'spyre_session');
	expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, path: '/' });
	expect(await page.evaluate(() => document.cookie)).not.toContain('spyre_session');
});

test('navigation reaches every section, each with its heading', async () => {
	const nav = page.getByRole('navigation', { name: 'Main' });
	const sections: Array<[string, string]> = [
		['Environments', '/environments'],
		['Configs', '/configs'],
		['Claude', '/claude'],
		['Settings', '/settings'],
		['Dashboard', '/']
	];
	for (const [name, href] of sections) {
		const link = nav.getByRole('link', { name, exact: true });
		await link.click();
		await expect(page).toHaveURL(`${spyre.url}${href}`);
		await expect(page.getByRole('heading', { level: 1, name, exact: true })).toBeVisible();
		await expect(link).toHaveAttribute('aria-current', 'page');
		await expect(page).toHaveTitle(new RegExp(`^${name} · Spyre$`));
		await shot(`05-nav-${name.toLowerCase()}`);
	}
});

test('settings shows the audit log and never the token secret', async () => {
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
	await expect(page.getByRole('heading', { level: 2, name: 'Audit log' })).toBeVisible();
	await expect(page.getByRole('cell', { name: 'auth.setup' })).toBeVisible();
	expect(await page.content()).not.toContain(TOKEN_SECRET);
});

test('sign out ends the session', async () => {
	await signOut();
	await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
	await shot('06-login');
	await page.goto(`${spyre.url}/`);
	await expect(page).toHaveURL(`${spyre.url}/login`);
	await page.goto(`${spyre.url}/environments`);
	await expect(page).toHaveURL(`${spyre.url}/login?next=%2Fenvironments`);
});

test('a wrong password shows an error and keeps the username', async () => {
	await page.goto(`${spyre.url}/login`);
	await signIn(USER, 'not-the-password');
	await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');
	await expect(page.getByLabel('Username')).toHaveValue(USER);
	await expect(page).toHaveURL(`${spyre.url}/login`);
	await shot('07-login-wrong-password');

	await signIn('nobody', 'not-the-password');
	await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');
});

test('signing in works', async () => {
	await page.goto(`${spyre.url}/login`);
	await signIn(USER, PASSWORD);
	await expect(page).toHaveURL(`${spyre.url}/`);
	await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
	await expect(page.getByRole('banner').getByText(USER, { exact: true })).toBeVisible();
});

test('?next= returns you to the page you asked for', async () => {
	await signOut();
	await page.goto(`${spyre.url}/settings`);
	await expect(page).toHaveURL(`${spyre.url}/login?next=%2Fsettings`);
	await signIn(USER, PASSWORD);
	await expect(page).toHaveURL(`${spyre.url}/settings`);
	await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
});

test('?next= refuses other sites', async () => {
	for (const next of ['//evil.com', '/\\evil.com', 'https://evil.com/']) {
		await signOut();
		await page.goto(`${spyre.url}/login?next=${encodeURIComponent(next)}`);
		await signIn(USER, PASSWORD);
		await expect(page).toHaveURL(`${spyre.url}/`);
		await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
	}
});

test('/setup is gone after the first user', async () => {
	const res = await page.goto(`${spyre.url}/setup`);
	expect(res?.status()).toBe(404);
	// The route's own load answers 404, so the styled +error.svelte shows, with a way back.
	await expect(page.getByRole('heading', { name: 'This page does not exist' })).toBeVisible();
	await expect(page.getByRole('link', { name: 'Back to the dashboard' })).toBeVisible();
	expect(await page.content()).not.toMatch(/\bat .+:\d+:\d+/);
	await shot('08-not-found');
});

test('narrow screens (390 px): screenshots and page widths', async ({ browser }) => {
	const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
	try {
		await phone.context().addCookies(await page.context().cookies(spyre.url));
		const widths: Record<string, number> = {};
		for (const [name, p] of [
			['dashboard', '/'],
			['settings', '/settings']
		] as const) {
			await phone.goto(`${spyre.url}${p}`);
			await expect(phone.getByRole('heading', { level: 1 })).toBeVisible();
			widths[name] = await phone.evaluate(() => document.documentElement.scrollWidth);
			await shot(`09-phone-${name}`, phone);
		}
		await phone.context().clearCookies();
		await phone.goto(`${spyre.url}/login`);
		await expect(phone.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
		widths.login = await phone.evaluate(() => document.documentElement.scrollWidth);
		await shot('09-phone-login', phone);
		// No page may scroll sideways on a phone.
		for (const [name, width] of Object.entries(widths)) expect(width, name).toBeLessThanOrEqual(390);
	} finally {
		await phone.close();
	}
});
