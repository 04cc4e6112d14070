// N = 4 attempts in the browser, with the real CLI in simulator CTs against the local fake Messages API:
// "Run 4 attempts" on the environment's Claude page, on a git repo made in the source CT → four clones, four
// tasks, each on its own branch spyre/<short task id> with its own recorded change, the comparison page live →
// Keep one after the confirmation that names the three others → those three destroyed (gone from Proxmox),
// the kept one an ordinary environment. Screenshots of the comparison page at 1280 and 390 px go to
// test-results/screens/attempts-*.png.

import { expect, test, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { installClaudeInCt } from '../helpers/claude-cli';
import { startFakeAnthropicFor, type FakeAnthropic } from '../helpers/fake-anthropic';
import { pveRequest, ssh, startSim, type RunningSim } from '../helpers/sim';
import { REPO_ROOT, setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { createEnvironment, signedInApi, type Api } from '../helpers/environments';
import { signInThroughForm } from '../helpers/sign-in';
import { TEST_TEMPLATE } from '../helpers/templates';
import type { AttemptSetView } from '../../src/lib/shared/types/attempts';
import type { TaskChangesView } from '../../src/lib/shared/types/claude';

const SCREENS = path.join(REPO_ROOT, 'test-results', 'screens');
const API_KEY = 'sk-ant-api03-spyree2eattempts00000000';
const SOURCE = 'att-e2e';
const NAMES = [1, 2, 3, 4].map((n) => `${SOURCE}-a${n}`);
/** The git repo the attempts work on, made in the source CT: each clone carries it. */
const REPO = '/root/app';

test.describe.configure({ mode: 'serial' });

let fake: FakeAnthropic;
let sim: RunningSim;
let spyre: RunningSpyre;
let api: Api;
let page: Page;
let envId = '';

async function shots(name: string): Promise<void> {
	for (const width of [1280, 390]) {
		await page.setViewportSize({ width, height: width === 1280 ? 800 : 844 });
		await page.screenshot({ path: path.join(SCREENS, `attempts-${name}-${width}.png`), fullPage: true });
	}
	await page.setViewportSize({ width: 1280, height: 800 });
}

test.beforeAll(async ({ browser }) => {
	test.setTimeout(240_000);
	fs.mkdirSync(SCREENS, { recursive: true });
	sim = await startSim();
	fake = await startFakeAnthropicFor(sim.simJson, { acceptKeys: [API_KEY] });
	spyre = await startSpyre({ mode: 'built', simJson: sim.simJson, config: { claude: { api_base_url: fake.url } } });
	api = signedInApi(spyre.url, await setupAdmin(spyre.url, 'admin', 'e2e-password-123'));
	expect((await api('POST', '/auth/claude/api-key', { apiKey: API_KEY })).status).toBe(200);
	const env = await createEnvironment(api, { hostname: SOURCE, template: TEST_TEMPLATE, cores: 1, memory: 512, disk: 4 });
	envId = env.id;
	const key = path.join(spyre.dataDir, 'ssh', 'id_ed25519');
	await installClaudeInCt(key, env.ip!, sim.simJson.sshPort);
	const repo = await ssh(
		key,
		env.ip!,
		sim.simJson.sshPort,
		`git init -q -b main ${REPO} && cd ${REPO} && echo app > README && git add README && git -c user.name=t -c user.email=t@t commit -qm "Initial commit"`
	);
	expect(repo.code, repo.stderr).toBe(0);
	page = await (await browser.newContext()).newPage();
	await signInThroughForm(page, spyre.url, 'admin', 'e2e-password-123', '/');
});

test.afterAll(async () => {
	await page?.context().close();
	await spyre?.stop();
	await sim?.stop();
	await fake?.stop();
});

test('Run 4 attempts, compare them live, Keep one: the other three are destroyed', async () => {
	test.setTimeout(90_000);
	await page.goto(`${spyre.url}/environments/${envId}/claude`);
	// Each attempt writes its clone's hostname into the repo: four different changes on four branches.
	await page.getByLabel('Prompt').fill(`[[bash: sleep 2; hostname > ${REPO}/who.txt; git -C ${REPO} rev-parse --abbrev-ref HEAD]]`);
	await page.getByLabel('Number of attempts').selectOption('4');
	await page.getByText('Options').click();
	await page.getByLabel(/^Repository/).fill(REPO);
	await shots('00-claude-page');
	await page.getByRole('button', { name: 'Run 4 attempts' }).click();
	await page.waitForURL(/\/claude\/attempts\/set-/);

	const cards = page.getByRole('list', { name: 'Attempts' }).getByRole('listitem');
	await expect(cards).toHaveCount(4);
	for (const [i, name] of NAMES.entries()) await expect(cards.nth(i).getByRole('heading', { name })).toBeVisible();
	await shots('01-running');

	// Live: every task ends succeeded without a reload.
	for (let i = 0; i < 4; i++) await expect(cards.nth(i).getByText('succeeded')).toBeVisible({ timeout: 60_000 });
	await expect(page.getByRole('status').getByText('done', { exact: true })).toBeVisible({ timeout: 15_000 });
	await expect(cards.first().getByRole('link', { name: 'open' })).toHaveAttribute('href', /\/claude\/sessions\/task-/);
	await shots('02-done');

	// Four branches: each attempt's task worked on its own spyre/<short task id> in its own clone, recorded
	// before Keep (a destroyed clone's tasks go with it).
	const setId = new URL(page.url()).pathname.split('/').pop()!;
	const set = (await (await api('GET', `/api/claude/attempts/${setId}`)).json()).set as AttemptSetView;
	expect(set.repo).toBe(REPO);
	const branches: string[] = [];
	for (const a of set.attempts) {
		expect(a.taskId).not.toBeNull();
		const changes = async () => ((await (await api('GET', `/api/claude/tasks/${a.taskId}/changes`)).json()).changes ?? null) as TaskChangesView | null;
		await expect.poll(async () => (await changes())?.state, { timeout: 30_000 }).toBe('recorded');
		const c = (await changes())!;
		expect(c).toMatchObject({ branch: `spyre/${a.taskId!.slice(5, 13)}`, repoPath: REPO });
		expect(c.files.map((f) => f.path)).toEqual(['who.txt']);
		expect(c.diff).toContain(`+${a.hostname}`);
		branches.push(c.branch);
	}
	expect(new Set(branches).size).toBe(4);

	await cards
		.nth(1)
		.getByRole('button', { name: `Keep ${NAMES[1]}…` })
		.click();
	const dialog = page.getByRole('dialog', { name: `Keep ${NAMES[1]}?` });
	for (const name of [NAMES[0], NAMES[2], NAMES[3]]) await expect(dialog.getByText(name, { exact: true })).toBeVisible();
	await shots('03-confirm');
	await dialog.getByRole('button', { name: `Keep ${NAMES[1]}, destroy 3` }).click();

	await expect(page.getByRole('status').getByText('kept', { exact: true })).toBeVisible();
	for (const i of [0, 2, 3]) await expect(cards.nth(i).getByText('destroyed', { exact: true })).toBeVisible({ timeout: 60_000 });
	await expect(cards.nth(1).getByText('kept', { exact: true })).toBeVisible();
	await shots('04-kept');

	const names = (await pveRequest<Array<{ name?: string }>>(sim.simJson, 'GET', '/cluster/resources', { query: { type: 'vm' } })).body!.data.map((r) => r.name);
	expect(names).toContain(NAMES[1]);
	for (const gone of [NAMES[0], NAMES[2], NAMES[3]]) expect(names).not.toContain(gone);
});
