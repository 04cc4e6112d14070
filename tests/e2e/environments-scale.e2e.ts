// The environments page with many CTs (SPYRE_E2E_SCALE_CTS, default 200: 1,000 take ~90 s to create in
// the simulator) stays usable: it opens as a table with one page of rows, a search finds one CT, and a CT
// stopped behind Spyre's back (through the simulator's API) turns stopped on the open page without a reload.
import { expect, test, type Page } from '@playwright/test';
import Database from 'better-sqlite3';
import { pveRequest, startSim, waitTask, type RunningSim } from '../helpers/sim';
import { setupAdmin, startSpyre, type RunningSpyre } from '../helpers/spyre';
import { createCts, insertManaged, type MadeCt } from '../../bench/lib/many-cts';
import { PAGE_SIZE } from '../../src/lib/shared/environment-query';
import { signInThroughForm } from '../helpers/sign-in';

const COUNT = Number(process.env.SPYRE_E2E_SCALE_CTS) || 200;
const MANAGED = Math.round(COUNT * 0.7);
const USER = 'ada';
const PASS = 'correct-horse-battery';

let sim: RunningSim;
let spyre: RunningSpyre;
let cts: MadeCt[];

async function power(ct: MadeCt, action: 'start' | 'stop') {
	const res = await pveRequest<string>(sim.simJson, 'POST', `/nodes/${ct.node}/lxc/${ct.vmid}/status/${action}`);
	if (res.status !== 200) throw new Error(`${action} ${ct.vmid}: ${res.status} ${res.statusText}`);
	await waitTask(sim.simJson, res.body!.data, 30_000);
}

test.beforeAll(async () => {
	test.setTimeout(180_000);
	sim = await startSim({ nodes: ['pve', 'pve2', 'pve3'] });
	cts = await createCts(sim, { count: COUNT, nodes: ['pve', 'pve2', 'pve3'], prefix: 'scale-', pad: 4 });
	// A fast poller so that changes made outside Spyre arrive within a second.
	spyre = await startSpyre({ mode: 'built', simJson: sim.simJson, env: { SPYRE_POLL_MS: '400' } });
	await setupAdmin(spyre.url, USER, PASS);
	insertManaged(spyre.dbPath, cts.slice(0, MANAGED));
	await power(cts[7], 'start');
});

test.afterAll(async () => {
	await spyre?.stop();
	await sim?.stop();
});

async function signIn(page: Page, next: string) {
	await signInThroughForm(page, spyre.url, USER, PASS, next);
	await expect(page.getByRole('heading', { name: 'Environments', level: 1 })).toBeVisible();
}

test(`${COUNT} CTs: one page of rows, search finds one CT, a status change arrives live`, async ({ page }) => {
	test.setTimeout(60_000);
	await signIn(page, '/environments');
	await expect(page.getByText(`${MANAGED} environments`)).toBeVisible();
	const table = page.getByRole('table', { name: 'Managed environments' });
	await expect(table.getByRole('row')).toHaveCount(Math.min(MANAGED, PAGE_SIZE.table) + 1);
	await page.screenshot({ path: 'test-results/screens/environments-scale-table.png', fullPage: false });

	const target = cts[7];
	await page.getByLabel('Search').fill(target.name);
	await expect(page).toHaveURL(new RegExp(`q=${target.name}`));
	await expect(table.getByRole('row')).toHaveCount(2);
	const row = table.getByRole('row', { name: new RegExp(target.name) });
	await expect(row).toHaveAttribute('data-status', 'running', { timeout: 10_000 });
	// The unmanaged table is searched too: nothing else matches.
	await expect(page.getByRole('heading', { name: 'Other containers on the cluster' })).toHaveCount(0);

	// Marks this document: a reload would lose it.
	await page.evaluate(() => ((window as unknown as { spyreMark: number }).spyreMark = 1));
	await power(target, 'stop');
	await expect(row).toHaveAttribute('data-status', 'stopped', { timeout: 10_000 });
	expect(await page.evaluate(() => (window as unknown as { spyreMark?: number }).spyreMark)).toBe(1);

	// The search is in the URL: a reload keeps it.
	await page.reload();
	await expect(page.getByLabel('Search')).toHaveValue(target.name);
	await expect(table.getByRole('row')).toHaveCount(2);

	// Cards on request, paged; and at phone width.
	await page.goto(`${spyre.url}/environments?view=cards`);
	await expect(page.getByRole('article')).toHaveCount(Math.min(MANAGED, PAGE_SIZE.cards));
	await page.screenshot({ path: 'test-results/screens/environments-scale-cards.png', fullPage: false });
	await page.setViewportSize({ width: 390, height: 844 });
	await page.screenshot({ path: 'test-results/screens/environments-scale-cards-390.png', fullPage: false });
	await page.goto(`${spyre.url}/environments`);
	await page.screenshot({ path: 'test-results/screens/environments-scale-table-390.png', fullPage: false });
	// Spyre's row for the stopped CT is the truth in the database too (the poller wrote it).
	const db = new Database(spyre.dbPath, { readonly: true });
	try {
		expect(db.prepare('SELECT status FROM environments WHERE vmid = ?').pluck().get(target.vmid)).toBe('stopped');
	} finally {
		db.close();
	}
});
