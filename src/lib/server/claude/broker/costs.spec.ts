import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../db';
import { recordUsage } from './ledger';
import { costSummary } from './costs';

let dir: string;
let db: Db;
const DAY = 86_400_000;
const now = Date.UTC(2026, 11, 7, 12);
const usage = { inputTokens: 1, outputTokens: 1, cacheCreationTokens: 0, cacheReadTokens: 0 };

beforeAll(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-costs-'));
	db = openDatabase(path.join(dir, 'spyre.db'));
	for (const [id, host] of [
		['env-a', 'alpha'],
		['env-b', 'beta']
	]) {
		db.prepare("INSERT INTO environments (id, hostname, node, status, created_at, updated_at) VALUES (?, ?, 'pve', 'running', 1, 1)").run(id, host);
	}
	for (const [id, env] of [
		['t1', 'env-a'],
		['t2', 'env-a'],
		['t3', 'env-b']
	]) {
		db.prepare("INSERT INTO claude_tasks (id, environment_id, prompt, status, created_at) VALUES (?, ?, 'p', 'succeeded', 0)").run(id, env);
	}
	const at = (t: number) => ({ model: 'm', status: 200, usage, at: t });
	recordUsage('t1', { ...at(now), costUsd: 1.5 }, db);
	recordUsage('t2', { ...at(now - DAY), costUsd: 0.25 }, db);
	recordUsage('t3', { ...at(now - 2 * DAY), costUsd: 2 }, db);
	recordUsage('t3', { ...at(Date.UTC(2026, 10, 30, 23)), costUsd: 7 }, db); // last month: per day, not this month
	recordUsage('t1', { ...at(now - 30 * DAY), costUsd: 100 }, db); // outside both
});
afterAll(() => {
	db.close();
	fs.rmSync(dir, { recursive: true, force: true });
});

describe('costSummary', () => {
	it('sums this month (UTC) against the budget, per environment (most first) and per day with empty days', () => {
		const s = costSummary({ now, days: 8, monthlyBudgetUsd: 10 }, db);
		expect(s.monthUsd).toBeCloseTo(3.75);
		expect(s.monthlyBudgetUsd).toBe(10);
		expect(s.byEnvironment).toEqual([
			{ environmentId: 'env-b', hostname: 'beta', usd: 2, tasks: 1 },
			{ environmentId: 'env-a', hostname: 'alpha', usd: 1.75, tasks: 2 }
		]);
		expect(s.byDay.map((d) => d.day)).toEqual(['2026-11-30', '2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04', '2026-12-05', '2026-12-06', '2026-12-07']);
		expect(s.byDay.map((d) => d.usd)).toEqual([7, 0, 0, 0, 0, 2, 0.25, 1.5]);
		expect(s.byDay.at(-1)!.calls).toBe(1);
	});

	it('says no budget when none is set', () => {
		expect(costSummary({ now, monthlyBudgetUsd: null }, db).monthlyBudgetUsd).toBeNull();
	});
});
