// First boot, sign out, sign in, wrong password, ?next= redirects and the main navigation, driven in
// Debian's Chromium against the built server. Screenshots of every page go to test-results/screens/.

import { expect, test, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { SESSION_COOKIE, SPYRE_COOKIE_NAMES } from '../../src/lib/server/auth/session-cookie';

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

test('the session cookie is __Host-: HttpOnly, Secure, SameSite=Lax, host-only', async () => {
	const cookies = await page.context().cookies(spyre.url);
	const session = cookies.find((c) => c.name === SESSION_COOKIE);
	expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: true, path: '/', domain: new URL(spyre.url).hostname });
	const visible = await page.evaluate(() => document.cookie);
	for (const name of SPYRE_COOKIE_NAMES) expect(visible).not.toContain(name);
});

test('navigation reaches every section, each with its heading', async () => {
	const nav = page.getByRole('navigation', { name: 'Main' });
	// [link, where it lands, the page's heading]: the Claude tab opens the task list.
	const sections: Array<[string, string, string]> = [
		['Environments', '/environments', 'Environments'],
		['Configs', '/configs', 'Configs'],
		['Claude', '/claude/sessions', 'Claude tasks'],
		['Settings', '/settings', 'Settings'],
		['Dashboard', '/', 'Dashboard']
	];
	for (const [name, href, heading] of sections) {
		const link = nav.getByRole('link', { name, exact: true });
		await link.click();
		await expect(page).toHaveURL(`${spyre.url}${href}`);
		await expect(page.getByRole('heading', { level: 1, name: heading, exact: true })).toBeVisible();
		await expect(link).toHaveAttribute('aria-current', 'page');
		await expect(page).toHaveTitle(new RegExp(`^${heading} · Spyre$`));
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

test('no page breaks its Content-Security-Policy', async ({ browser }) => {
	const p = await browser.newPage();
	const violations: string[] = [];
	p.on('console', (m) => {
		if (/Content Security Policy|Refused to (load|execute|apply|connect)/i.test(m.text())) violations.push(m.text());
	});
	try {
		await p.context().addCookies(await page.context().cookies(spyre.url));
		for (const href of ['/', '/environments', '/configs', '/claude', '/settings', '/settings/account']) {
			const res = await p.goto(`${spyre.url}${href}`);
			expect(res?.headers()['content-security-policy'], href).toMatch(/script-src 'self' 'nonce-/);
			await expect(p.getByRole('heading', { level: 1 })).toBeVisible();
		}
		// Live updates connect under connect-src 'self'.
		await expect(p.locator('[data-live]')).toHaveAttribute('data-live', 'open');
		// CodeMirror 6 injects its styles as <style> elements (style-src allows inline styles for this and
		// xterm.js): the editor of a built-in config must render. (The terminal has its own e2e file.)
		await p.goto(`${spyre.url}/configs/dev-web`);
		await expect(p.locator('.cm-editor .cm-content')).toBeVisible();
		expect(violations).toEqual([]);
	} finally {
		await p.close();
	}
});

test('account: change password (inline errors, then success) and sign out everywhere', async ({ browser }) => {
	await page.goto(`${spyre.url}/settings`);
	await page.getByRole('link', { name: /Your account/ }).click();
	await expect(page).toHaveURL(`${spyre.url}/settings/account`);
	await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
	await expect(page.getByText('this browser')).toBeVisible();
	await shot('10-account');

	const current = page.getByLabel('Current password');
	const next = page.getByLabel('New password', { exact: true });
	const confirm = page.getByLabel('Confirm new password');
	const change = page.getByRole('button', { name: 'Change password' });
	await current.fill('not-my-password');
	await next.fill('e2e-password-456');
	await confirm.fill('e2e-password-456');
	await change.click();
	await expect(page.getByText('This is not your current password.')).toBeVisible();
	await expect(current).toHaveAttribute('aria-invalid', 'true');
	await shot('11-account-wrong-current');

	// A second browser session that the change must end.
	const other = await browser.newContext();
	const otherPage = await other.newPage();
	await otherPage.goto(`${spyre.url}/login`);
	await otherPage.getByLabel('Username').fill(USER);
	await otherPage.getByLabel('Password').fill(PASSWORD);
	await otherPage.getByRole('button', { name: 'Sign in' }).click();
	await expect(otherPage).toHaveURL(`${spyre.url}/`);

	await current.fill(PASSWORD);
	await next.fill('e2e-password-456');
	await confirm.fill('e2e-password-456');
	await change.click();
	await expect(page.getByRole('status')).toHaveText('Password changed. Your other sessions were signed out.');
	await shot('12-account-changed');
	await otherPage.goto(`${spyre.url}/settings`);
	await expect(otherPage).toHaveURL(/\/login\?next=%2Fsettings$/);
	await other.close();

	await page.getByRole('button', { name: 'Sign out everywhere' }).click();
	await expect(page).toHaveURL(`${spyre.url}/login`);
	await signIn(USER, 'e2e-password-456');
	await expect(page).toHaveURL(`${spyre.url}/`);
});

test('first boot of a server that is not loopback-only asks for the setup code from its log', async ({ browser }) => {
	// A public name must be https (plain http only on loopback): Caddy would terminate TLS and say so.
	const pub = await startSpyre({ config: { server: { public_url: 'https://spyre.example.test' } }, env: { PROTOCOL_HEADER: 'x-forwarded-proto' } });
	const p = await browser.newPage();
	try {
		// Address the server by its public name, as Caddy would forward it.
		await p.route('https://spyre.example.test/**', async (route) => {
			const url = new URL(route.request().url());
			const headers = { ...route.request().headers(), host: 'spyre.example.test', 'x-forwarded-proto': 'https' };
			const res = await route.fetch({ url: `${pub.url}${url.pathname}${url.search}`, headers });
			await route.fulfill({ response: res });
		});
		await p.goto('https://spyre.example.test/setup');
		await expect(p.getByLabel('Setup code')).toBeVisible();
		await p.getByLabel('Setup code').fill('WRNG-CODE-XXXX-YYYY');
		await p.getByLabel('Username').fill(USER);
		await p.getByLabel('Password', { exact: true }).fill(PASSWORD);
		await p.getByLabel('Confirm password').fill(PASSWORD);
		await p.getByRole('button', { name: 'Create account' }).click();
		await expect(p.getByText('That is not the setup code from the server log.')).toBeVisible();
		await shot('13-setup-code', p);
	} finally {
		await p.close();
		await pub.stop();
	}
});
