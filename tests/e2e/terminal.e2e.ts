// A person's terminal session in Chromium: open an environment, type, open a second tab, close the
// browser, come back in a new one and find both tabs with their output.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { startSim, type RunningSim } from '../helpers/sim';
import { setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { TEST_TEMPLATE } from '../helpers/templates';

let sim: RunningSim;
let spyre: RunningSpyre;
let envId = '';
const USER = 'grace';
const PASS = 'correct-horse-battery';

test.beforeAll(async () => {
	sim = await startSim();
	spyre = await startSpyre({ mode: 'built', simJson: sim.simJson });
	const cookie = await setupAdmin(spyre.url, USER, PASS);
	const res = await fetch(`${spyre.url}/api/environments`, {
		method: 'POST',
		headers: { cookie, origin: spyre.url, 'content-type': 'application/json' },
		body: JSON.stringify({ hostname: 'term-e2e', template: TEST_TEMPLATE, cores: 1, memory: 512, disk: 4 })
	});
	envId = ((await res.json()) as { id: string }).id;
	const deadline = Date.now() + 30_000;
	for (;;) {
		const env = (await (await fetch(`${spyre.url}/api/environments/${envId}`, { headers: { cookie } })).json()) as { status: string };
		if (env.status === 'running') break;
		if (Date.now() > deadline) throw new Error(`environment stayed ${env.status}`);
		await new Promise((r) => setTimeout(r, 250));
	}
});

test.afterAll(async () => {
	await spyre?.stop();
	await sim?.stop();
});

async function openEnvironment(browser: Browser): Promise<Page> {
	const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
	// xterm's WebGL renderer draws to a canvas; the DOM renderer (a user preference) leaves text to read.
	await context.addInitScript(() => localStorage.setItem('spyre.terminal.renderer', 'dom'));
	const page = await context.newPage();
	await page.goto(`${spyre.url}/login?next=/environments/${envId}`);
	await page.getByLabel('Username').fill(USER);
	await page.getByLabel('Password').fill(PASS);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page.getByRole('heading', { name: 'term-e2e', level: 1 })).toBeVisible();
	return page;
}

/** What the visible terminal shows, as text (xterm's DOM renderer rows). */
function screenText(page: Page) {
	return page.locator('section.terminal[data-status="connected"] .xterm-rows');
}

async function typeInto(page: Page, text: string) {
	await page.locator('section.terminal[data-status="connected"] .xterm-helper-textarea').focus();
	await page.keyboard.type(text);
	await page.keyboard.press('Enter');
}

test('type, open a second tab, close the browser, come back to both tabs and their output', async ({ browser }) => {
	const first = await openEnvironment(browser);
	await expect(first.locator('section.terminal')).toHaveAttribute('data-status', 'connected', { timeout: 20_000 });
	await typeInto(first, "echo sp''yre-ok");
	await expect(screenText(first)).toContainText('spyre-ok');
	await first.screenshot({ path: 'test-results/screens/terminal-first-tab.png', fullPage: true });

	const tabs = first.getByRole('tab');
	const before = await tabs.count();
	await first.getByRole('button', { name: 'New window' }).click();
	await expect(tabs).toHaveCount(before + 1);
	await expect(first.locator('section.terminal')).toHaveAttribute('data-status', 'connected', { timeout: 20_000 });
	await typeInto(first, "echo tab''two-ok");
	await expect(screenText(first)).toContainText('tabtwo-ok');
	const names = await tabs.allTextContents();
	// Each tab has its own name (tmux would call every new window after its program: "bash", "bash").
	expect(new Set(names).size).toBe(names.length);
	await first.context().close();

	// A new browser: both tabs are there, each with what it ran.
	const second = await openEnvironment(browser);
	await expect(second.getByRole('tab')).toHaveText(names);
	await second.getByRole('tab').first().click();
	await expect(second.locator('section.terminal')).toHaveAttribute('data-status', 'connected', { timeout: 20_000 });
	await expect(screenText(second)).toContainText('spyre-ok');
	await second.getByRole('tab').last().click();
	await expect(second.locator('section.terminal')).toHaveAttribute('data-status', 'connected', { timeout: 20_000 });
	await expect(screenText(second)).toContainText('tabtwo-ok');
	await second.screenshot({ path: 'test-results/screens/terminal-reattached.png', fullPage: true });
	await second.context().close();
});
