// A person writing configs in Chromium: the list with its validity badges, a new config from a base,
// a typo underlined at its line as they type, fixed, saved with Ctrl+S and still there after a reload;
// a built-in config is read-only until cloned, and a copy can be deleted after typing its name.
// No Proxmox is needed for any of this: Spyre points at a closed port.
import { expect, test, type Page } from '@playwright/test';
import { setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { signInThroughForm } from '../helpers/sign-in';
import { TEST_TEMPLATE } from '../helpers/templates';

let spyre: RunningSpyre;
const USER = 'grace';
const PASS = 'correct-horse-battery';

test.beforeAll(async () => {
	spyre = await startSpyre({ mode: 'built' });
	await setupAdmin(spyre.url, USER, PASS);
});

test.afterAll(async () => {
	await spyre?.stop();
});

async function signIn(page: Page, next: string) {
	await signInThroughForm(page, spyre.url, USER, PASS, next);
}

/** The editor once CodeMirror has replaced the server-rendered text. */
async function editor(page: Page) {
	await expect(page.locator('.editor-wrap[data-ready="true"]')).toBeVisible({ timeout: 15_000 });
	return page.locator('.cm-content');
}

test('new config from a base: an invalid key is underlined at its line, fixed, saved, persisted', async ({ page }) => {
	// CodeMirror must live within the page's Content-Security-Policy (no eval, no inline script).
	const blocked: string[] = [];
	page.on('console', (m) => {
		if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) blocked.push(m.text());
	});
	await signIn(page, '/configs');
	await expect(page.getByRole('heading', { name: 'Configs', level: 1 })).toBeVisible();
	const builtIn = page.getByRole('region', { name: 'Built-in' });
	await expect(builtIn.locator('tr[data-config="dev-web"]')).toContainText('valid');
	await expect(builtIn.locator('tr[data-config="ubuntu-dev"]')).toContainText('base');

	await page.getByRole('button', { name: 'New config' }).click();
	const dialog = page.getByRole('dialog', { name: 'New config' });
	// The name is checked as it is typed, before anything is sent.
	await dialog.getByLabel('Name').fill('Not A Slug');
	await expect(dialog.getByText(/lowercase letters, digits and hyphens/)).toBeVisible();
	await dialog.getByLabel('Name').fill('e2e-web');
	await dialog.getByLabel('Extend a base').check();
	await expect(dialog.getByLabel('Base', { exact: true })).toHaveValue('ubuntu-dev');
	await dialog.getByRole('button', { name: 'Create config' }).click();
	await page.waitForURL('**/configs/e2e-web');

	const content = await editor(page);
	await expect(content).toContainText('extends: ubuntu-dev');
	await expect(page.getByRole('region', { name: 'Problems' })).toContainText('none');

	// The new line goes at the end: its number is the saved text's line count (it ends with a newline).
	const saved = (await (await page.request.get(`${spyre.url}/api/configs/e2e-web`)).json()) as { config: { text: string } };
	const line = saved.config.text.split('\n').length;
	await content.click();
	await page.keyboard.press('Control+End');
	await page.keyboard.type('spek: {}');

	const problems = page.getByRole('region', { name: 'Problems' });
	const problem = problems.getByRole('button', { name: new RegExp(`line ${line}:1 .*unknown key 'spek'.*did you mean 'spec'`) });
	await expect(problem).toBeVisible();
	// Underlined in the editor on that very line.
	await expect(
		page
			.locator('.cm-line')
			.nth(line - 1)
			.locator('.cm-lintRange-error')
	).toHaveText('spek');
	await expect(page.getByText('1 error').first()).toBeVisible();
	await expect(page.getByRole('button', { name: 'Provision' })).toBeDisabled();
	await page.screenshot({ path: 'test-results/screens/configs-diagnostic.png', fullPage: true });

	// Clicking the problem puts the cursor on its line; replace the line with a comment.
	await problem.click();
	await expect(page.locator('.cm-activeLine')).toHaveText('spek: {}');
	await page.keyboard.press('Home');
	await page.keyboard.press('Shift+End');
	await page.keyboard.type('# checked by e2e');
	await expect(problems).toContainText('none');
	const resolved = page.getByRole('region', { name: 'Resolved' });
	await expect(resolved).toContainText('ubuntu-24.04');
	await resolved.getByRole('tab', { name: 'YAML' }).click();
	await expect(resolved.getByLabel('Resolved YAML')).toContainText('apiVersion: spyre/v1');
	await expect(resolved.getByLabel('Resolved YAML')).toContainText('build-essential');
	// Modes as the config writes them (octal), and no unset keys printed as null.
	await expect(resolved.getByLabel('Resolved YAML')).toContainText('mode: "0644"');
	await expect(resolved.getByLabel('Resolved YAML')).not.toContainText('mode: 420');
	await expect(resolved.getByLabel('Resolved YAML')).not.toContainText('null');
	await page.screenshot({ path: 'test-results/screens/configs-resolved-yaml-1280.png', fullPage: true });

	await expect(page.getByRole('status').filter({ hasText: 'Unsaved changes' })).toBeVisible();
	await page.keyboard.press('Control+s');
	await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
	await expect(page.getByRole('button', { name: 'Provision' })).toBeEnabled();

	await page.reload();
	await expect(await editor(page)).toContainText('# checked by e2e');
	const after = (await (await page.request.get(`${spyre.url}/api/configs/e2e-web`)).json()) as { config: { text: string } };
	expect(after.config.text.split('\n')[line - 1]).toBe('# checked by e2e');

	await page.goto(`${spyre.url}/configs`);
	await expect(page.getByRole('region', { name: 'Your configs' }).locator('tr[data-config="e2e-web"]')).toContainText('valid');
	expect(blocked).toEqual([]);
});

test('a built-in config is read-only; Clone to edit makes an editable copy, which can be deleted', async ({ page }) => {
	await signIn(page, '/configs/dev-web');
	await expect(page.getByRole('heading', { name: 'dev-web', level: 1 })).toBeVisible();
	await expect(page.getByText('built-in · read-only')).toBeVisible();
	const content = await editor(page);
	await expect(content).toHaveAttribute('contenteditable', 'false');
	await expect(page.getByRole('button', { name: 'Save' })).toHaveCount(0);

	await page.getByRole('button', { name: 'Clone to edit' }).click();
	const dialog = page.getByRole('dialog', { name: 'New config' });
	await expect(dialog.getByLabel('A copy of another config')).toBeChecked();
	await expect(dialog.getByLabel('Name')).toHaveValue('dev-web-copy');
	await dialog.getByRole('button', { name: 'Create config' }).click();
	await page.waitForURL('**/configs/dev-web-copy');
	await expect(page.getByText('yours', { exact: true })).toBeVisible();
	await expect(await editor(page)).toHaveAttribute('contenteditable', 'true');
	await expect(page.getByRole('button', { name: 'Save' })).toBeDisabled();

	// Enter after a key that opens a mapping indents the next line, so completion offers that key's children.
	await (await editor(page)).click();
	await page.keyboard.press('Control+End');
	await page.keyboard.type('spyre-e2e:');
	await page.keyboard.press('Enter');
	await page.keyboard.type('x');
	await expect(page.locator('.cm-activeLine')).toHaveText(/^ {2}x$/);
	await page.keyboard.press('Enter');
	await page.keyboard.type('- name: a');
	await page.keyboard.press('Enter');
	await page.keyboard.type('y');
	await expect(page.locator('.cm-activeLine')).toHaveText(/^ {4}y$/);

	await page.getByRole('button', { name: 'Delete' }).click();
	const confirm = page.getByRole('dialog', { name: 'Delete dev-web-copy?' });
	await expect(confirm.getByRole('button', { name: 'Delete dev-web-copy' })).toBeDisabled();
	await confirm.getByLabel(/Type dev-web-copy to confirm/).fill('dev-web-copy');
	await confirm.getByRole('button', { name: 'Delete dev-web-copy' }).click();
	await page.waitForURL(/\/configs$/);
	await expect(page.locator('tr[data-config="dev-web-copy"]')).toHaveCount(0);
	expect((await page.request.get(`${spyre.url}/api/configs/dev-web-copy`)).status()).toBe(404);
});

test('history: every save is a version; two compare as a diff; an old one is restored after confirming', async ({ page }) => {
	// Four screenshots and a reload of the editor: more than the default 30 s on a loaded machine.
	test.setTimeout(120_000);
	await signIn(page, '/configs');
	const send = (method: 'post' | 'put', url: string, data: unknown) => page.request[method](`${spyre.url}${url}`, { data, headers: { origin: spyre.url } });
	expect((await send('post', '/api/configs', { name: 'e2e-hist', from: { blank: true } })).status()).toBe(201);
	// Two saves of the blank text with another description each.
	const blank = ((await (await page.request.get(`${spyre.url}/api/configs/e2e-hist`)).json()) as { config: { text: string } }).config.text;
	const head = (n: string) => blank.replace('description: ""', `description: ${n}`).replace('    cores: 2', `    template: ${TEST_TEMPLATE}\n    cores: 2`);
	expect((await send('put', '/api/configs/e2e-hist', { text: head('second') })).ok()).toBe(true);
	expect((await send('put', '/api/configs/e2e-hist', { text: head('third') })).ok()).toBe(true);

	await page.goto(`${spyre.url}/configs/e2e-hist`);
	await expect(page.getByRole('heading', { name: /e2e-hist v3/, level: 1 })).toBeVisible();
	const history = page.getByRole('region', { name: 'History' });
	await expect(history.locator('tr[data-version]')).toHaveCount(3);
	await expect(history.locator('tr[data-version="1"]')).toContainText(`created by ${USER}`);
	await expect(history.locator('tr[data-version="3"]')).toContainText('current');

	// Newest against the one before it is chosen; compare the first with the newest instead.
	await history.getByRole('radio', { name: 'Compare from version 1' }).check();
	await history.getByRole('button', { name: 'Compare v1 → v3' }).click();
	const diff = page.getByRole('region', { name: 'Changes from version 1 to version 3' });
	await expect(diff.locator('.del')).toContainText(['description: ""']);
	await expect(diff.locator('.add')).toContainText(['  description: third']);
	await page.screenshot({ path: 'test-results/screens/config-history-1280.png', fullPage: true });
	await page.setViewportSize({ width: 390, height: 844 });
	await page.screenshot({ path: 'test-results/screens/config-history-390.png', fullPage: true });
	await page.setViewportSize({ width: 1280, height: 800 });

	// Restore v2: asked first, then saved as v4; the editor shows its text.
	await history.getByRole('button', { name: 'Restore version 2' }).click();
	const confirm = page.getByRole('dialog', { name: 'Restore version 2 of e2e-hist?' });
	await expect(confirm).toContainText('saved again as the newest version');
	await confirm.getByRole('button', { name: 'Restore this version' }).click();
	await expect(confirm).toBeHidden();
	await expect(page.getByRole('heading', { name: /e2e-hist v4/, level: 1 })).toBeVisible();
	await expect(history.locator('tr[data-version="4"]')).toContainText(`restored v2 · ${USER}`);
	await expect(await editor(page)).toContainText('description: second');

	// The provision dialog says which version it builds.
	await page.getByRole('button', { name: 'Provision' }).click();
	await expect(page.getByRole('dialog', { name: 'Provision e2e-hist' }).getByTestId('provision-builds')).toHaveText('Builds e2e-hist v4, as saved.');
});
