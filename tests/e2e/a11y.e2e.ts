// Every page, on a 390 px-wide phone screen: a full-page screenshot (test-results/screens/narrow-*.png,
// for a person to look at) and an axe-core scan that fails on any 'serious' or 'critical' violation.
// One Spyre on the Proxmox simulator with one running environment, so the environment pages exist;
// /setup is scanned before the first admin exists, /login before signing in. The states that widened
// pages before are there too: a stored Claude credential that has expired (the navigation bar's
// re-authenticate pill shows on every page) and a finished Claude task with long unbroken lines in its
// transcript (the environment's Claude page once measured 646 px on a 390 px screen).
import Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { startSim, type RunningSim } from '../helpers/sim';
import { setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import * as claudeCredential from '../../src/lib/server/claude/auth/store';
import { TEST_TEMPLATE } from '../helpers/templates';

const AXE_PATH = createRequire(import.meta.url).resolve('axe-core');
const SCREENS = 'test-results/screens';
const USER = 'grace';
const PASS = 'correct-horse-battery';
const NARROW = { width: 390, height: 844 };

let sim: RunningSim;
let spyre: RunningSpyre;
let cookie = '';
let envId = '';

// Generous: the scan walks 16 pages, and a shared test machine can be slow.
test.setTimeout(240_000);

test.beforeAll(async () => {
	sim = await startSim();
	spyre = await startSpyre({ mode: 'built', simJson: sim.simJson });
	// A credential that expired a minute ago, stored while Spyre is down: it reads it when it starts again.
	await spyre.stop({ keepData: true });
	claudeCredential.save(spyre.dataDir, { method: 'setup_token', kind: 'oauth_token', value: 'sk-ant-oat01-a11y-expired', expiresAt: Date.now() - 60_000 });
	spyre = await startSpyre({ mode: 'built', simJson: sim.simJson, reuse: spyre });
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
		body: JSON.stringify({ hostname: 'a11y-e2e', template: TEST_TEMPLATE, cores: 1, memory: 512, disk: 4 })
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
	seedClaudeTask();
	const made = await fetch(`${spyre.url}/api/configs`, { method: 'POST', headers, body: JSON.stringify({ name: 'a11y-mine', from: { base: 'ubuntu-dev' } }) });
	expect(made.status, await made.clone().text()).toBe(201);
}

const TASK_ID = 'task-a11ywidetranscript';

/** A finished task as the bridge records one, with lines no screen is wide enough for. */
function seedClaudeTask(): void {
	const db = new Database(spyre.dbPath);
	try {
		const now = Date.now();
		const long = `/home/dev/project/${'very-long-directory-name/'.repeat(12)}file.ts`;
		db.prepare(
			`INSERT INTO claude_tasks (id, environment_id, prompt, status, session_id, created_at, started_at, finished_at, num_turns, result, snapshot)
			 VALUES (?, ?, ?, 'succeeded', 'sess-a11y', ?, ?, ?, 2, ?, 'spyre_a11ywide')`
		).run(TASK_ID, envId, `Refactor ${long}`, now - 5000, now - 4000, now, `Done: ${long}`);
		const event = db.prepare('INSERT INTO claude_task_events (task_id, seq, ts, type, payload) VALUES (?, ?, ?, ?, ?)');
		const lines: Array<[string, unknown]> = [
			['system', { type: 'system', subtype: 'init', session_id: 'sess-a11y', model: 'claude-sonnet-4-5', cwd: '/home/dev/project', tools: ['Bash', 'Edit'] }],
			['assistant', { type: 'assistant', message: { content: [{ type: 'text', text: `Reading \`${long}\`\n\n\`\`\`\n${'x'.repeat(300)}\n\`\`\`` }] } }],
			['assistant', { type: 'assistant', message: { content: [{ type: 'tool_use', id: 'tu1', name: 'Bash', input: { command: `grep -rn ${'needle'.repeat(40)} ${long}` } }] } }],
			['user', { type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 'tu1', content: `${long}:1:${'y'.repeat(300)}` }] } }],
			['result', { type: 'result', subtype: 'success', result: `Done: ${long}`, num_turns: 2, total_cost_usd: 0.01, duration_ms: 4000, session_id: 'sess-a11y' }]
		];
		lines.forEach(([type, payload], i) => event.run(TASK_ID, i + 1, now - 4000 + i, type, JSON.stringify(payload)));
		db.prepare('UPDATE claude_tasks SET last_seq = ? WHERE id = ?').run(lines.length, TASK_ID);
	} finally {
		db.close();
	}
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
	// The header's own width counts too: a sticky bar can overflow without widening the document.
	const header = await page.evaluate(() => {
		const bar = document.querySelector('header.topbar');
		return bar ? bar.scrollWidth - bar.clientWidth : 0;
	});
	await page.addScriptTag({ path: AXE_PATH });
	const violations = (await page.evaluate(async () => {
		const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: unknown[] }> } }).axe;
		const r = await axe.run(document, { resultTypes: ['violations'] });
		return r.violations;
	})) as AxeViolation[];
	const out: string[] = [];
	if (overflow > 1) out.push(`${path}: page is ${overflow}px wider than a 390px screen`);
	if (header > 1) out.push(`${path}: the navigation bar overflows by ${header}px`);
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
	// The expired credential's pill is in the navigation bar of every page scanned below.
	await page.goto(`${spyre.url}/`);
	await expect(page.locator('[data-claude-auth="expired"]')).toBeVisible({ timeout: 10_000 });

	const pages: [string, string][] = [
		['dashboard', '/'],
		['environments', '/environments'],
		['environment', `/environments/${envId}`],
		['environment-claude', `/environments/${envId}/claude`],
		['environment-claude-task', `/environments/${envId}/claude?task=${TASK_ID}`],
		['claude-session', `/claude/sessions/${TASK_ID}`],
		['configs', '/configs'],
		['config-builtin', '/configs/dev-web'],
		['config-user', '/configs/a11y-mine'],
		['claude', '/claude'],
		['claude-sessions', '/claude/sessions'],
		['settings', '/settings'],
		['settings-account', '/settings/account'],
		['settings-claude', '/settings/claude'],
		['settings-repos', '/settings/repos'],
		['settings-ssh-keys', '/settings/ssh-keys'],
		['settings-audit', '/settings/audit']
	];
	for (const [name, path] of pages) problems.push(...(await check(page, name, path)));
	// The same pages on a desktop screen, for a person to look at (test-results/screens/wide-*.png).
	await page.setViewportSize({ width: 1280, height: 800 });
	for (const [name, path] of pages) {
		await page.goto(`${spyre.url}${path}`);
		await page.waitForLoadState('networkidle', { timeout: 3_000 }).catch(() => {});
		await page.screenshot({ path: `${SCREENS}/wide-${name}.png`, fullPage: true });
		const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
		if (overflow > 1) problems.push(`${path}: page is ${overflow}px wider than a 1280px screen`);
	}
	await context.close();

	if (problems.length) console.log(`Accessibility problems:\n${problems.join('\n')}`);
	expect(problems).toEqual([]);
});
