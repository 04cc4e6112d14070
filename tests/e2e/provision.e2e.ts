// The heart of Spyre in Chromium: write a config in the editor (a mistake underlined at its line, fixed),
// save, provision, watch the phases, see a failing script's output, fix the config, retry from that step,
// then open a terminal in the result and find the installed package, the file and the user.
// Packages come from a local apt repository shipped beside the config, so no network is needed.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { buildAptRepo, HELLO_OUTPUT, type AptRepo } from '../helpers/apt-repo';
import { startSim, type RunningSim } from '../helpers/sim';
import { setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { signInThroughForm } from '../helpers/sign-in';
import { TEST_TEMPLATE } from '../helpers/templates';

let sim: RunningSim;
let spyre: RunningSpyre;
let repo: AptRepo;
const USER = 'grace';
const PASS = 'correct-horse-battery';
const TEMPLATE = TEST_TEMPLATE;

test.beforeAll(async () => {
	repo = await buildAptRepo(1);
	sim = await startSim();
	spyre = await startSpyre({ mode: 'built', simJson: sim.simJson });
	await setupAdmin(spyre.url, USER, PASS);
	// The repository's files are config assets (files: source:), next to the user's configs.
	const assets = path.join(spyre.dataDir, 'configs', 'assets', 'repo');
	fs.mkdirSync(assets, { recursive: true });
	for (const f of fs.readdirSync(repo.dir)) fs.copyFileSync(path.join(repo.dir, f), path.join(assets, f));
});

test.afterAll(async () => {
	await spyre?.stop();
	await sim?.stop();
	repo?.remove();
});

function configText(opts: { typo: boolean; scriptFixed: boolean }): string {
	const repoFiles = fs
		.readdirSync(repo.dir)
		.flatMap((f) => [`      - path: /srv/spyre-test-repo/${f}`, `        source: assets/repo/${f}`])
		.join('\n');
	return `apiVersion: spyre/v1
kind: Environment
metadata:
  name: e2e-prov
  description: built by the provisioning e2e test
spec:
  platform:
    template: ${TEMPLATE}
    cores: 1
    memory: 512
    disk: 4
  provision:
    ${opts.typo ? 'packges' : 'packages'}: [spyre-hello]
    users:
      - name: dev
        shell: /bin/bash
    files:
      - path: /etc/apt/sources.list.d/debian.sources
        content: "# no network in tests\\n"
      - path: /etc/apt/sources.list.d/spyre-test.list
        content: "deb [trusted=yes] file:/srv/spyre-test-repo ./\\n"
${repoFiles}
      - path: /etc/e2e-note.txt
        owner: dev
        content: "hello from the e2e config\\n"
    scripts:
      - name: check
        run: |
          echo "checking the widget"
          ${opts.scriptFixed ? 'echo "widget ok"' : 'echo "widget missing" >&2; exit 4'}
`;
}

async function signIn(page: Page, next: string) {
	await signInThroughForm(page, spyre.url, USER, PASS, next);
}

/** Replace the editor's whole text, as a paste would (no auto-indent of each typed line). */
async function replaceText(page: Page, text: string) {
	await expect(page.locator('.editor-wrap[data-ready="true"]')).toBeVisible({ timeout: 15_000 });
	await page.locator('.cm-content').click();
	await page.keyboard.press('Control+A');
	await page.keyboard.insertText(text);
}

test('write a config, provision it, fix a failing script, retry from that step, use the result', async ({ page }) => {
	test.setTimeout(240_000);
	// xterm's DOM renderer leaves the terminal's text readable (a user preference; WebGL draws to a canvas).
	await page.context().addInitScript(() => localStorage.setItem('spyre.terminal.renderer', 'dom'));
	await signIn(page, '/configs');
	await page.getByRole('button', { name: 'New config' }).click();
	const dialog = page.getByRole('dialog', { name: 'New config' });
	await dialog.getByLabel('Name').fill('e2e-prov');
	await dialog.getByRole('button', { name: 'Create config' }).click();
	await page.waitForURL('**/configs/e2e-prov');

	// A typo: underlined at its line, listed with a suggestion.
	const withTypo = configText({ typo: true, scriptFixed: false });
	await replaceText(page, withTypo);
	const typoLine = withTypo.split('\n').findIndex((l) => l.includes('packges')) + 1;
	const problems = page.getByRole('region', { name: 'Problems' });
	await expect(problems.getByRole('button', { name: new RegExp(`line ${typoLine}:\\d+ .*packges.*did you mean 'packages'`) })).toBeVisible({ timeout: 10_000 });
	await expect(
		page
			.locator('.cm-line')
			.nth(typoLine - 1)
			.locator('.cm-lintRange-error')
	).toHaveText('packges');

	// Fixed and saved.
	await replaceText(page, configText({ typo: false, scriptFixed: false }));
	await expect(problems).toContainText('none', { timeout: 10_000 });
	await page.keyboard.press('Control+s');
	await expect(page.getByText(/^Saved/)).toBeVisible();

	// Provision: the dialog asks for the hostname, then the environment page shows the run.
	await page.getByRole('button', { name: 'Provision' }).click();
	const prov = page.getByRole('dialog', { name: /Provision/ });
	// It says which version of the config it builds (created as v1, saved once).
	await expect(prov.getByTestId('provision-builds')).toHaveText('Builds e2e-prov v2, as saved.');
	await prov.getByLabel('Hostname').fill('e2e-prov-1');
	await prov.getByRole('button', { name: /Provision/ }).click();
	await page.waitForURL(/\/environments\/env-/);
	const progress = page.locator('section.provision');
	await expect(progress).toBeVisible();
	await expect(page.getByRole('progressbar', { name: 'Provisioning progress' })).toBeVisible();

	// The script fails: its output is shown, and Retry from this step is offered.
	await expect(progress).toHaveAttribute('data-run-status', 'failed', { timeout: 120_000 });
	const log = page.getByRole('log', { name: 'Provisioning log' });
	await expect(log).toContainText('widget missing');
	await expect(log).toContainText('Script check failed with exit code 4');
	await expect(page.getByLabel(/Phase 1, .*: done/)).toBeVisible();
	// The CT runs although provisioning failed: its terminal is open beside the failure (as Coder does when a
	// startup script fails), instead of "Start … to open a terminal".
	await expect(page.getByRole('note')).toContainText('Provisioning did not finish');
	await expect(page.locator('section.terminal')).toHaveAttribute('data-status', 'connected', { timeout: 30_000 });
	await page.screenshot({ path: 'test-results/screens/provision-failed.png', fullPage: true });
	await page.setViewportSize({ width: 390, height: 844 });
	await page.screenshot({ path: 'test-results/screens/provision-failed-390.png', fullPage: true });
	expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(1);
	await page.setViewportSize({ width: 1280, height: 800 });

	// Start (another job on the same CT) leaves the failure, its Retry and the config on screen.
	const envPath = new URL(page.url()).pathname;
	const started = await page.request.post(`${spyre.url}/api${envPath}/start`, { headers: { origin: spyre.url } });
	expect(started.status(), await started.text()).toBeLessThan(300);
	const runs = page.getByRole('region', { name: 'Runs' });
	await expect(runs.locator('li[data-run-status="succeeded"]', { hasText: 'Start' })).toBeVisible({ timeout: 60_000 });
	await expect(progress).toHaveAttribute('data-run-status', 'failed');
	await expect(page.getByRole('button', { name: 'Retry from this step' })).toBeEnabled();
	await expect(progress.getByText('Built from config')).toBeVisible();
	await expect(log).toContainText('widget missing');
	await expect(page.getByTestId('built-from')).toHaveText(/^Config\s*Built from e2e-prov v2\s*$/);

	// Fix the config (as a teammate would, in git or the editor), then retry from the failed step.
	const fix = await page.request.put(`${spyre.url}/api/configs/e2e-prov`, {
		headers: { origin: spyre.url },
		data: { text: configText({ typo: false, scriptFixed: true }) }
	});
	expect(fix.status()).toBe(200);
	// The page says the config moved on since this environment was built, and links to the diff.
	await page.reload();
	await expect(page.getByTestId('built-from')).toContainText('Built from e2e-prov v2 · changed since: now v3');
	await expect(page.getByTestId('built-from').getByRole('link', { name: 'see what changed' })).toHaveAttribute('href', '/configs/e2e-prov?from=2&to=3#history');
	await page.screenshot({ path: 'test-results/screens/provision-config-changed.png' });
	await page.setViewportSize({ width: 390, height: 844 });
	await page.screenshot({ path: 'test-results/screens/provision-config-changed-390.png' });
	await page.setViewportSize({ width: 1280, height: 800 });
	await page.getByRole('button', { name: 'Retry from this step' }).click();
	await expect(log).toContainText('widget ok', { timeout: 60_000 });
	await expect(progress).toHaveAttribute('data-run-status', 'succeeded', { timeout: 60_000 });
	await expect(page.locator('section.terminal')).toBeVisible({ timeout: 60_000 });
	// Every attempt stays listed; the failed one's log is still there to read.
	const failedRun = runs.locator('li[data-run-status="failed"]', { hasText: 'Provision' });
	await expect(failedRun).toHaveCount(1);
	await expect(runs.locator('li[data-run-status="succeeded"]', { hasText: 'Provision' })).toHaveCount(1, { timeout: 15_000 });
	await failedRun.getByRole('button', { name: /Show log/ }).click();
	await expect(failedRun.getByRole('log')).toContainText('widget missing');
	// Each run names the config version it built; the retry built the fixed one, which is what the page says now.
	await expect(failedRun).toContainText('Provision from e2e-prov v2');
	await expect(runs.locator('li[data-run-status="succeeded"]', { hasText: 'Provision' })).toContainText('Provision from e2e-prov v3');
	await expect(page.getByTestId('built-from')).toHaveText(/^Config\s*Built from e2e-prov v3\s*$/);
	await page.screenshot({ path: 'test-results/screens/provision-retried.png', fullPage: true });
	await page.setViewportSize({ width: 390, height: 844 });
	await page.screenshot({ path: 'test-results/screens/provision-retried-390.png', fullPage: true });
	await page.setViewportSize({ width: 1280, height: 800 });

	// A terminal in the result: the package, the file and the user are there.
	await page.reload();
	await expect(page.locator('section.terminal')).toHaveAttribute('data-status', 'connected', { timeout: 30_000 });
	await page.locator('section.terminal .xterm-helper-textarea').focus();
	await page.keyboard.type("spyre-hello; cat /etc/e2e-note.txt; getent passwd dev | cut -d: -f''7");
	await page.keyboard.press('Enter');
	const screen = page.locator('section.terminal .xterm-rows');
	await expect(screen).toContainText(HELLO_OUTPUT, { timeout: 15_000 });
	await expect(screen).toContainText('hello from the e2e config');
	await expect(screen).toContainText('/bin/bash');
	await page.screenshot({ path: 'test-results/screens/provision-terminal.png', fullPage: true });
});
