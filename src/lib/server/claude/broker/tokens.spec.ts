import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../db';
import { hashToken, issueToken, lookupToken, revokeEnded, revokeToken } from './tokens';
import { markRefused, monthSpendUsd, monthStart, recordUsage, taskUsage } from './ledger';

let dir: string;
let db: Db;

beforeEach(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-broker-spec-'));
	db = openDatabase(path.join(dir, 'spyre.db'));
	db.prepare(`INSERT INTO environments (id, vmid, node, hostname, status, ip, created_at, updated_at) VALUES ('env-1', 101, 'pve', 'one', 'running', '10.213.0.5', 0, 0)`).run();
	for (const [id, status] of [
		['task-aaaaaaaaaa', 'running'],
		['task-bbbbbbbbbb', 'running']
	]) {
		db.prepare(`INSERT INTO claude_tasks (id, environment_id, prompt, status, options, created_at) VALUES (?, 'env-1', 'p', ?, '{"maxBudgetUsd":1}', 0)`).run(id, status);
	}
});

afterEach(() => {
	db.close();
	fs.rmSync(dir, { recursive: true, force: true });
});

describe('broker tokens', () => {
	it('stores only a hash; a token names its task and environment address while the task runs', () => {
		const token = issueToken('task-aaaaaaaaaa', db);
		expect(token).toMatch(/^spyre-task-[A-Za-z0-9_-]{43}$/);
		const stored = db.prepare(`SELECT broker_token_hash AS h FROM claude_tasks WHERE id = 'task-aaaaaaaaaa'`).get() as { h: string };
		expect(stored.h).toBe(hashToken(token));
		expect(JSON.stringify(db.prepare('SELECT * FROM claude_tasks').all())).not.toContain(token);
		expect(lookupToken(token, db)).toEqual({ taskId: 'task-aaaaaaaaaa', environmentId: 'env-1', address: '10.213.0.5', options: '{"maxBudgetUsd":1}' });
	});

	it('is dead once its task is not running, once revoked, and when reissued', () => {
		const a = issueToken('task-aaaaaaaaaa', db);
		db.prepare(`UPDATE claude_tasks SET status = 'succeeded' WHERE id = 'task-aaaaaaaaaa'`).run();
		expect(lookupToken(a, db)).toBeNull();
		expect(revokeEnded(db)).toBe(1);
		const b = issueToken('task-bbbbbbbbbb', db);
		const b2 = issueToken('task-bbbbbbbbbb', db);
		expect(lookupToken(b, db)).toBeNull();
		expect(lookupToken(b2, db)?.taskId).toBe('task-bbbbbbbbbb');
		revokeToken('task-bbbbbbbbbb', db);
		expect(lookupToken(b2, db)).toBeNull();
	});

	it('refuses malformed and unknown tokens', () => {
		issueToken('task-aaaaaaaaaa', db);
		for (const t of ['', 'spyre-task-', `spyre-task-${'A'.repeat(43)}`, "' OR 1=1 --", 'x'.repeat(10_000)]) expect(lookupToken(t, db)).toBeNull();
	});
});

describe('usage ledger', () => {
	it("sums a task's calls and this month's spend, and keeps the first refusal", () => {
		const now = Date.UTC(2026, 11, 7, 12);
		recordUsage('task-aaaaaaaaaa', { model: 'm', status: 200, usage: { inputTokens: 10, outputTokens: 5, cacheCreationTokens: 1, cacheReadTokens: 2 }, costUsd: 0.25, at: now }, db);
		recordUsage('task-aaaaaaaaaa', { model: 'm', status: 200, usage: { inputTokens: 1, outputTokens: 1, cacheCreationTokens: 0, cacheReadTokens: 0 }, costUsd: 0.5, at: now }, db);
		recordUsage('task-bbbbbbbbbb', { model: 'm', status: 200, usage: { inputTokens: 1, outputTokens: 1, cacheCreationTokens: 0, cacheReadTokens: 0 }, costUsd: 2, at: monthStart(now) - 1 }, db);
		expect(taskUsage('task-aaaaaaaaaa', db)).toEqual({ calls: 2, inputTokens: 11, outputTokens: 6, cacheCreationTokens: 1, cacheReadTokens: 2, costUsd: 0.75 });
		expect(monthSpendUsd(now, db)).toBeCloseTo(0.75);
		expect(monthStart(now)).toBe(Date.UTC(2026, 11, 1));
		expect(markRefused('task-aaaaaaaaaa', 'first', db)).toBe(true);
		expect(markRefused('task-aaaaaaaaaa', 'second', db)).toBe(false);
	});
});
