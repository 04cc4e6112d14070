// Every page, on a 390 px-wide phone screen: a full-page screenshot (test-results/screens/narrow-*.png,
// for a person to look at) and an axe-core scan that fails on any 'serious' or 'critical' violation.
// One Spyre on the Proxmox simulator with one running environment, so the environment pages exist;
// /setup is scanned before the first admin exists, /login before signing in.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { startSim, type RunningSim } from '../helpers/sim';
import { setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';

const AXE_PATH = createRequire(import.meta.url).resolve('axe-core');
const SCREENS = 'test-results/screens';
const USER = 'grace';
const PASS = 'correct-horse-battery';
const NARROW = { width: 390, height: 844 };

let sim: RunningSim;
let spyre: RunningSpyre;
let cookie = '';
let envId = '';

test.setTimeout(90_000);

test.beforeAll(async () => {
	sim = await startSim();
	spyre = await startSpyre({ mode: 'built', simJson: sim.simJson });
});

test.afterAll(async () => {
	await spyre?.stop();
	await sim?.stop();
});

async function createEnvironment(): Promise<void> {
	const headers = { cookie, origin: spyre.url, 'content-type': 'application/json' };
	const res = await fetch(`${spyre.url}/api/environments`, {
		method: 'POST',
		headers,
		body: JSON.stringify({ hostname: 'a11y-e2e', template: 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst', cores: 1, memory: 512, disk: 4 })
	});
	expect(res.status, await res.clone().text()).toBeLessThan(300);
	envId = ((await res.json()) as { id: string }).id;
	const deadline = Date.now() + 30_000;
	for (;;) {
		const env = (await (await fetch(`${spyre.url}/api/environments/${envId}`, { headers: { cookie } })).json()) as { status: string };
		if (env.status === 'running') break;
		if (Date.now() > deadline) throw new Error(`environment stayed ${env.status}`);
		await new Promise((r) => setTimeout(r, 250));
	}
	const made = await fetch(`${spyre.url}/api/configs`, { method: 'POST', headers, body: JSON.stringify({ name: 'a11y-mine', from: { base: 'ubuntu-dev' } }) });
	expect(made.status, await made.clone().text()).toBe(201);
}

interface AxeViolation {
	id: string;
	impact: string | null;
	help: string;
	helpUrl: string;
	nodes: { target: unknown[]; failureSummary?: string }[];
}

/** Screenshot at 390 px and run axe; returns the serious/critical violations as readable lines. */
async function check(page: Page, name: string, path: string): Promise<string[]> {
	const res = await page.goto(`${spyre.url}${path}`);
	expect(res?.status(), `${path} answered ${res?.status()}`).toBeLessThan(400);
	await page.waitForLoadState('networkidle', { timeout: 3_000 }).catch(() => {});
	// Scan what a person sees once the page's widgets have mounted: the YAML editor, the live terminal.
	if (await page.locator('.editor-wrap').count()) await expect(page.locator('.editor-wrap[data-ready="true"]')).toBeVisible({ timeout: 15_000 });
	if (await page.locator('section.terminal').count()) {
		await expect(page.locator('section.terminal')).toHaveAttribute('data-status', 'connected', { timeout: 15_000 });
	}
	await page.screenshot({ path: `${SCREENS}/narrow-${name}.png`, fullPage: true });
	// Anything wider than the screen means a sideways scroll on a phone.
	const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
	await page.addScriptTag({ path: AXE_PATH });
	const violations = await page.evaluate(async () => {
		const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: unknown[] }> } }).axe;
		const r = await axe.run(document, { resultTypes: ['violations'] });
		return r.violations;
	}) as AxeViolation[];
	const out: string[] = [];
	if (overflow > 1) out.push(`${path}: page is ${overflow}px wider than a 390px screen`);
	for (const v of violations) {
		if (v.impact !== 'serious' && v.impact !== 'critical') continue;
		out.push(`${path}: [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})`);
		for (const n of v.nodes.slice(0, 5)) out.push(`    ${JSON.stringify(n.target)} ${(n.failureSummary ?? '').replace(/\s+/g, ' ')}`);
		if (v.nodes.length > 5) out.push(`    … and ${v.nodes.length - 5} more`);
	}
	return out;
}

test('every page: narrow screenshot, no serious or critical axe violation, no sideways scroll', async ({ browser }) => {
	fs.mkdirSync(SCREENS, { recursive: true });
	// axe is injected as a script tag, which the pages' nonce-based script-src rightly refuses; the CSP is
	// bypassed in this scanning context only (configs.e2e.ts checks that the app itself runs within it).
	const context = await browser.newContext({ viewport: NARROW, bypassCSP: true, deviceScaleFactor: 1 });
	await context.addInitScript(() => localStorage.setItem('spyre.terminal.renderer', 'dom'));
	const page = await context.newPage();
	const problems: string[] = [];

	problems.push(...(await check(page, 'setup', '/setup')));
	cookie = await setupAdmin(spyre.url, USER, PASS);
	problems.push(...(await check(page, 'login', '/login')));
	await page.getByLabel('Username').fill(USER);
	await page.getByLabel('Password').fill(PASS);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.waitForURL((u) => u.pathname === '/');
	await createEnvironment();

	const pages: [string, string][] = [
		['dashboard', '/'],
		['environments', '/environments'],
		['environment', `/environments/${envId}`],
		['environment-claude', `/environments/${envId}/claude`],
		['configs', '/configs'],
		['config-builtin', '/configs/dev-web'],
		['config-user', '/configs/a11y-mine'],
		['claude', '/claude'],
		['claude-sessions', '/claude/sessions'],
		['settings', '/settings'],
		['settings-account', '/settings/account'],
		['settings-claude', '/settings/claude'],
		['settings-audit', '/settings/audit']
	];
	for (const [name, path] of pages) problems.push(...(await check(page, name, path)));
	await context.close();

	if (problems.length) console.log(`Accessibility problems:\n${problems.join('\n')}`);
	expect(problems).toEqual([]);
});
