// Authenticating Claude Code from /settings/claude, as a person would, through the login stand-in CLI
// (tests/fixtures/claude-login-standin.mjs): start, open the sign-in URL, paste a bad code (inline
// error), paste the right CODE#STATE, see the green state and the history. Screenshots go to
// test-results/screens/claude-auth-*.png.

import { expect, test, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { signInThroughForm } from '../helpers/sign-in';

const SCREENS = path.join(REPO_ROOT, 'test-results', 'screens');
const STANDIN = path.join(REPO_ROOT, 'tests', 'fixtures', 'claude-login-standin.mjs');

test.describe.configure({ mode: 'serial' });

let spyre: RunningSpyre;
let page: Page;

const shot = (name: string) => page.screenshot({ path: path.join(SCREENS, `claude-auth-${name}.png`), fullPage: true });

test.beforeAll(async ({ browser }) => {
	fs.mkdirSync(SCREENS, { recursive: true });
	spyre = await startSpyre({ config: { claude: { cli_path: STANDIN } }, env: { SPYRE_POLL_MS: '0', SPYRE_CLAUDE_HEALTH_MS: '500' } });
	await setupAdmin(spyre.url, 'admin', 'e2e-password-123');
	// Signed in through the form: the session cookie is `__Host-` (Secure, host-only), which a test cannot
	// plant for an http URL, and which a browser sets for loopback http exactly as for https.
	const context = await browser.newContext();
	page = await context.newPage();
	await signInThroughForm(page, spyre.url, 'admin', 'e2e-password-123', '/');
});

test.afterAll(async () => {
	await page?.context().close();
	await spyre?.stop();
});

test('settings links to the Claude Code page, which starts not signed in', async () => {
	await page.goto(`${spyre.url}/settings`);
	await page.getByRole('link', { name: /Claude Code: sign in/ }).click();
	await expect(page).toHaveURL(`${spyre.url}/settings/claude`);
	await expect(page.getByRole('heading', { level: 1, name: 'Claude Code' })).toBeVisible();
	await expect(page.getByTestId('claude-auth-state')).toHaveText('Not signed in');
	await expect(page.getByText(/demo stand-in: login flows only/)).toBeVisible();
	await shot('01-idle');
});

test('authenticates through the stand-in and turns green', async () => {
	await page.getByLabel(/Long-lived token/).check();
	await page.getByRole('button', { name: 'Authenticate' }).click();
	const open = page.getByRole('link', { name: 'Open the Claude sign-in page' });
	await expect(open).toBeVisible();
	await expect(open).toHaveAttribute('target', '_blank');
	await expect(page.getByTestId('claude-auth-state')).toHaveText('Waiting for you');
	const state = new URL((await open.getAttribute('href'))!).searchParams.get('state')!;
	await shot('02-waiting');

	const field = page.getByLabel(/Code from the sign-in page/);
	await field.fill('only-the-code');
	await page.getByRole('button', { name: 'Send to Claude Code' }).click();
	await expect(page.getByText(/it should look like CODE#STATE/)).toBeVisible();
	await expect(field).toHaveAttribute('aria-invalid', 'true');
	await shot('03-bad-code');

	await field.fill(`e2e-code#${state}`);
	await page.getByRole('button', { name: 'Send to Claude Code' }).click();
	await expect(page.getByTestId('claude-auth-state')).toHaveText('Authenticated', { timeout: 10_000 });
	await expect(page.getByText(/Signed in with a long-lived token/)).toBeVisible();
	await expect(page.getByText(/Expires .* \(in 365 days\)/)).toBeVisible();
	await expect(page.getByRole('button', { name: 'Re-authenticate' })).toBeVisible();
	await expect(page.getByRole('cell', { name: 'login_succeeded' })).toBeVisible();
	expect(await page.content()).not.toContain('sk-ant-oat01');
	// Nothing needs attention: no re-authenticate prompt in the navigation bar.
	await expect(page.locator('[data-claude-auth]')).toHaveCount(0);
	await shot('04-authenticated');
});

test('a cancelled re-authentication keeps the stored credential', async () => {
	await page.getByLabel(/Full login/).check();
	await page.getByRole('button', { name: 'Re-authenticate' }).click();
	await expect(page.getByRole('link', { name: 'Open the Claude sign-in page' })).toBeVisible();
	await expect(page.getByRole('link', { name: 'sign in with the localhost redirect' })).toBeVisible();
	await page.getByRole('button', { name: 'Cancel' }).click();
	await expect(page.getByTestId('claude-auth-state')).toHaveText('Authenticated');
	await expect(page.getByRole('cell', { name: 'login_cancelled' })).toBeVisible();
	await shot('05-after-cancel');
});

test('a credential found failed turns red live and prompts in the navigation bar', async () => {
	// What the broker persists when upstream refuses the credential; the health check picks it up.
	const file = path.join(spyre.dataDir, 'claude-auth', 'credential.json');
	const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
	fs.writeFileSync(file, JSON.stringify({ ...stored, health: { state: 'failed', error: 'OAuth token revoked · Please run /login', at: Date.now() } }), { mode: 0o600 });
	const prompt = page.getByRole('link', { name: /Claude: failed · Re-authenticate/ });
	await expect(prompt).toBeVisible({ timeout: 10_000 });
	await expect(page.getByTestId('claude-auth-state')).toHaveText('Failed');
	await expect(page.getByRole('alert')).toContainText('OAuth token revoked');
	await expect(page.getByRole('button', { name: 'Retry' })).toBeVisible();
	await shot('06-failed');
	await page.goto(`${spyre.url}/`);
	await expect(prompt).toBeVisible();
	await prompt.click();
	await expect(page).toHaveURL(`${spyre.url}/settings/claude`);
});
