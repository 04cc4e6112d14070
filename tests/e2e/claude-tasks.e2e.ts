// Claude tasks in the browser, with the real CLI in a simulator CT against the local fake Messages API:
// store an API key on /settings/claude, run a task from the environment's Claude page, watch it stream,
// reload in the middle of the (slow) stream, see the whole transcript exactly once and the cost line, watch
// one long reply grow before its message is complete, then find it in /claude/sessions and on the dashboard. Screenshots of every Claude page at 1280 and 390 px go
// to test-results/screens/claude-tasks-*.png.

import { expect, test, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { installClaudeInCt } from '../helpers/claude-cli';
import { startFakeAnthropicFor, type FakeAnthropic } from '../helpers/fake-anthropic';
import { ssh, startSim, type RunningSim } from '../helpers/sim';
import { REPO_ROOT, setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { signInThroughForm } from '../helpers/sign-in';
import { TEST_TEMPLATE } from '../helpers/templates';

const SCREENS = path.join(REPO_ROOT, 'test-results', 'screens');
const TEMPLATE = TEST_TEMPLATE;
const API_KEY = 'sk-ant-api03-spyree2ekey00000000000000';
const LINES = 60;
const ANY_LINE = new RegExp(`^slow line \\d+/${LINES}$`);

test.describe.configure({ mode: 'serial' });

let fake: FakeAnthropic;
let sim: RunningSim;
let spyre: RunningSpyre;
let page: Page;
let envId = '';
let envIp = '';
let taskUrl = '';

/** Full-page screenshots at the desktop and the phone width. */
async function shots(name: string): Promise<void> {
	for (const width of [1280, 390]) {
		await page.setViewportSize({ width, height: width === 1280 ? 800 : 844 });
		await page.screenshot({ path: path.join(SCREENS, `claude-tasks-${name}-${width}.png`), fullPage: true });
	}
	await page.setViewportSize({ width: 1280, height: 800 });
}

test.beforeAll(async ({ browser }) => {
	test.setTimeout(180_000);
	fs.mkdirSync(SCREENS, { recursive: true });
	sim = await startSim();
	fake = await startFakeAnthropicFor(sim.simJson, { acceptKeys: [API_KEY] });
	spyre = await startSpyre({ mode: 'built', simJson: sim.simJson, env: { SPYRE_POLL_MS: '0' }, config: { claude: { api_base_url: fake.url, monthly_budget_usd: 5 } } });
	const cookie = await setupAdmin(spyre.url, 'admin', 'e2e-password-123');
	const headers = { cookie, origin: spyre.url, 'content-type': 'application/json' };
	const res = await fetch(`${spyre.url}/api/environments`, { method: 'POST', headers, body: JSON.stringify({ hostname: 'claude-e2e', template: TEMPLATE, cores: 1, memory: 512, disk: 4 }) });
	expect(res.status).toBe(202);
	envId = ((await res.json()) as { id: string }).id;
	let ip = '';
	for (const end = Date.now() + 120_000; !ip && Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
		const env = (await (await fetch(`${spyre.url}/api/environments/${envId}`, { headers })).json()) as { status: string; ip: string | null };
		if (env.status === 'running' && env.ip) ip = env.ip;
	}
	expect(ip).not.toBe('');
	envIp = ip;
	await installClaudeInCt(path.join(spyre.dataDir, 'ssh', 'id_ed25519'), ip, sim.simJson.sshPort);
	// Signed in through the form: the session cookie is `__Host-` (Secure, host-only), which a test cannot
	// plant for an http URL, and which a browser sets for loopback http exactly as for https.
	const context = await browser.newContext();
	page = await context.newPage();
	await signInThroughForm(page, spyre.url, 'admin', 'e2e-password-123', '/');
});

test.afterAll(async () => {
	await page?.context().close();
	await spyre?.stop();
	await sim?.stop();
	await fake?.stop();
});

test('the dashboard says Claude is not connected and offers to authenticate', async () => {
	await page.goto(spyre.url);
	const card = page.locator('section', { has: page.getByRole('heading', { name: 'Claude', level: 2 }) });
	await expect(card.getByText('Not signed in')).toBeVisible();
	await expect(card.getByRole('link', { name: 'Authenticate' })).toHaveAttribute('href', '/settings/claude');
	await expect(card.getByText('No tasks yet.')).toBeVisible();
	await shots('01-dashboard-idle');
});

test('the environment page refuses Run until Claude is connected', async () => {
	await page.goto(`${spyre.url}/environments/${envId}/claude`);
	await expect(page.getByRole('heading', { name: 'New Claude task' })).toBeVisible();
	await expect(page.getByText(/Claude is not connected/)).toBeVisible();
	await page.getByLabel('Prompt').fill('hello');
	await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeDisabled();
	await expect(page.getByRole('status').getByRole('link', { name: 'Authenticate' })).toHaveAttribute('href', '/settings/claude');
	await shots('02-env-unauthenticated');
});

test('an API key stored on /settings/claude connects Claude', async () => {
	await page.goto(`${spyre.url}/settings/claude`);
	await page.getByText('Use an API key instead').click();
	await page.getByLabel('Anthropic API key').fill(API_KEY);
	await page.getByRole('button', { name: 'Save API key' }).click();
	await expect(page.getByTestId('claude-auth-state')).toHaveText('Authenticated', { timeout: 10_000 });
	expect(await page.content()).not.toContain(API_KEY);
});

test('runs a task, streams it, survives a reload mid-stream and shows the whole transcript once', async () => {
	test.setTimeout(90_000);
	await page.goto(`${spyre.url}/environments/${envId}/claude`);
	await page.getByLabel('Prompt').fill(`Count slowly [[slow: ${LINES}, 150]]`);
	await page.getByLabel('Prompt').press('Tab');
	// The fake's text blocks arrive 150 ms apart: the first ones show while the task still runs.
	// Where a task is started: the month's measured spend against the monthly budget.
	await expect(page.getByTestId('claude-month-cost')).toHaveText(/This month: \$0\.00 of the \$5\.00 monthly budget/);
	await page.getByText('Options').click();
	await page.getByLabel('Snapshot the container first').uncheck();
	await page.getByRole('button', { name: 'Run', exact: true }).click();
	await expect(page).toHaveURL(/\?task=task-/);
	taskUrl = page.url();
	const transcript = page.getByLabel('Transcript of the task');
	await expect(transcript.getByText(`slow line 3/${LINES}`)).toBeVisible({ timeout: 20_000 });
	await expect(transcript.getByText('Working…')).toBeVisible();
	await shots('03-env-streaming');

	await page.reload();
	await expect(transcript.getByText(ANY_LINE).first()).toBeVisible();
	const seenAfterReload = await transcript.getByText(ANY_LINE).count();
	expect(seenAfterReload).toBeLessThan(LINES);
	await expect(transcript.getByText(`slow line ${LINES}/${LINES}`)).toBeVisible({ timeout: 30_000 });
	await expect(transcript.locator('.result-line')).toHaveText(/Finished · \$\d+\.\d{4} · 1 turn · \d+\.\d s/);
	// The usage Spyre's broker measured from upstream's answer (the fake reports 12 input tokens).
	await expect(transcript.getByTestId('task-usage')).toHaveText(/Measured by Spyre: 1 call · 12 in · \d+ out · 0 cache · \$\d+\.\d{4}/);
	// The end is announced in the app (a `notice` on the event bus), whatever page is open.
	await expect(page.getByRole('region', { name: 'Notifications' }).getByText(/^Claude task finished on claude-e2e: Task task-\w+ finished \(1 turn, \$\d+\.\d{4} measured\)\.$/)).toBeVisible();
	// Every line exactly once, in order: the reload replayed what was stored, then went live.
	const lines = await transcript.getByText(ANY_LINE).allTextContents();
	expect(lines).toEqual(Array.from({ length: LINES }, (_, i) => `slow line ${i + 1}/${LINES}`));
	await expect(page.getByRole('button', { name: 'Resume' })).toBeVisible();
	// The history line follows the task it lists.
	await expect(page.getByRole('link', { name: /^succeeded Count slowly/ })).toBeVisible();
	await shots('04-env-finished');
});

test('a long reply shows while it is written, then as the stored message, once', async () => {
	test.setTimeout(90_000);
	const n = 150;
	await page.goto(`${spyre.url}/environments/${envId}/claude`);
	await page.getByLabel('Prompt').fill(`Write at length [[stream: ${n}, 6000]]`);
	await page.getByText('Options').click();
	await page.getByLabel('Snapshot the container first').uncheck();
	await page.getByRole('button', { name: 'Run', exact: true }).click();
	await expect(page).toHaveURL(/\?task=task-/);
	const transcript = page.getByLabel('Transcript of the task');
	// One text block streamed over 6 s: its lines show while it is still being written (no stored message yet).
	const partial = transcript.getByTestId('partial-text');
	await expect(partial).toContainText(`line 20/${n}`, { timeout: 30_000 });
	await expect(transcript.locator('.assistant:not(.partial)')).toHaveCount(0);
	await shots('03b-env-partial');
	await expect(transcript.locator('.result-line')).toContainText('Finished', { timeout: 30_000 });
	await expect(partial).toHaveCount(0);
	await expect(transcript.getByText(`line ${n}/${n} at`)).toHaveCount(1);
});

test('the task is in /claude/sessions, whose transcript page shows it whole', async () => {
	await page.goto(`${spyre.url}/claude`);
	await expect(page).toHaveURL(/\/claude\/sessions$/);
	const link = page.getByRole('link', { name: /Count slowly/ });
	await expect(link).toBeVisible();
	// What it cost, as the broker measured it: this month and per environment.
	await expect(page.getByTestId('claude-month-cost')).toContainText(/This month: \$0\.\d{4}/);
	await expect(page.getByRole('list', { name: 'Cost per environment' })).toContainText('claude-e2e');
	await shots('05-sessions');
	await link.click();
	await expect(page).toHaveURL(/\/claude\/sessions\/task-/);
	const transcript = page.getByLabel('Transcript of the task');
	await expect(transcript.getByText(`slow line ${LINES}/${LINES}`)).toBeVisible();
	await expect(transcript.locator('.result-line')).toContainText('Finished');
	await shots('06-session-transcript');
});

test('the dashboard shows Claude connected and the task, linking to its transcript', async () => {
	await page.goto(spyre.url);
	const card = page.locator('section', { has: page.getByRole('heading', { name: 'Claude', level: 2 }) });
	await expect(card.getByText('Authenticated')).toBeVisible();
	await expect(card.getByRole('link', { name: /Authenticate/ })).toHaveCount(0);
	const line = card.getByRole('link', { name: /Count slowly/ });
	await expect(line).toBeVisible();
	await expect(card.getByTestId('claude-month-cost')).toContainText(/This month: \$0\.\d{4}/);
	await expect(card.getByRole('list', { name: 'Cost per day' }).getByRole('listitem')).toHaveCount(7);
	await expect(card.getByRole('list', { name: 'Cost per environment' })).toContainText('claude-e2e');
	await shots('07-dashboard-tasks');
	await line.click();
	await expect(page).toHaveURL(new RegExp(`/claude/sessions/${new URL(taskUrl).searchParams.get('task')}$`));
});

test('Settings: the webhook refuses a non-http URL where it is typed, and shows the test delivery', async () => {
	await page.goto(`${spyre.url}/settings`);
	const section = page.getByTestId('notify-settings');
	await expect(section.getByRole('heading', { name: 'Notifications' })).toBeVisible();
	await section.getByLabel('Webhook URL').fill('ftp://example.com/x');
	await section.getByRole('button', { name: 'Save webhook' }).click();
	await expect(section.getByRole('alert')).toHaveText(/Only http and https/);
	// Nothing listens on this loopback port: the test delivery is recorded as failed after its attempts.
	await section.getByLabel('Webhook URL').fill('http://127.0.0.1:9/spyre-e2e-topic');
	await section.getByRole('button', { name: 'Save webhook' }).click();
	await expect(section.getByTestId('notify-webhook')).toHaveText('http://127.0.0.1:9/…');
	await section.getByRole('button', { name: 'Send test' }).click();
	const row = section.getByTestId('notify-deliveries').getByRole('row', { name: /Spyre test notification/ });
	await expect(row).toContainText('failed', { timeout: 20_000 });
	await expect(row).toContainText('could not connect');
	await expect(section.getByRole('checkbox', { name: /Browser notifications/ })).toBeVisible();
	await shots('08-settings-notifications');
});

test('a task on a repository: its diff renders with diff2html beside the transcript, and a file collapses', async () => {
	test.setTimeout(90_000);
	const key = path.join(spyre.dataDir, 'ssh', 'id_ed25519');
	const git = '-c user.email=e2e@example.test -c user.name=E2E';
	const setup = await ssh(
		key,
		envIp,
		sim.simJson.sshPort,
		`set -e; git init -q -b main /root/e2e-app; cd /root/e2e-app; printf 'const a = 1;\\n' > app.js; git add app.js; git ${git} commit -qm init`
	);
	expect(setup.code, setup.stderr).toBe(0);
	// A file name that is markup: the CT's text, which must stay text on the page.
	const edit = `cd /root/e2e-app && printf 'const a = 2;\\n' > app.js && echo '# Notes' > NOTES.md && echo x > '<img src=x onerror=alert(1)>.md' && git add -A && git ${git} commit -qm 'Edit app.js, add NOTES.md' && echo ok`;
	const violations: string[] = [];
	page.on('console', (m) => {
		if (/Content.Security.Policy/i.test(m.text())) violations.push(m.text());
	});
	const res = await page.request.post(`${spyre.url}/api/claude/tasks`, {
		headers: { origin: spyre.url },
		data: { environmentId: envId, prompt: `[[bash: ${edit}]]`, options: { repo: '/root/e2e-app', snapshot: false } }
	});
	expect(res.status(), await res.text()).toBe(201);
	const { task } = (await res.json()) as { task: { id: string } };
	await page.goto(`${spyre.url}/claude/sessions/${task.id}`);
	const review = page.getByRole('region', { name: 'Review' });
	// Recorded from the CT once the task ends; the page picks the changes up by itself.
	await expect(review.getByLabel('Summary of the changes')).toContainText(/Files\s*3/, { timeout: 30_000 });
	const files = review.locator('.d2h-file-wrapper');
	await expect(files).toHaveCount(3);
	await expect(review.locator('.d2h-file-list')).toContainText('NOTES.md');
	await expect(review.locator('.d2h-file-list')).toContainText('<img src=x onerror=alert(1)>.md');
	await expect(page.locator('img[src="x"]')).toHaveCount(0);
	// Syntax highlighted by highlight.js (the slim set) inside diff2html's own markup.
	await expect(files.filter({ hasText: 'app.js' }).locator('.hljs-keyword').first()).toHaveText('const');
	const appBody = files.filter({ hasText: 'app.js' }).locator('.d2h-file-diff');
	await expect(appBody).toBeVisible();
	await files.filter({ hasText: 'app.js' }).getByRole('checkbox', { name: 'Viewed' }).check();
	await expect(appBody).toBeHidden();
	await expect(review.getByRole('button', { name: 'Push branch' })).toBeVisible();
	await expect(review.getByRole('button', { name: 'Open terminal' })).toBeVisible();
	await shots('09-task-review');
	// diff2html and highlight.js run under the page's CSP (no eval, no inline script).
	expect(violations).toEqual([]);
});
