import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_WINDOW_MS, KEYS_PER_WINDOW, flushAuthFailures, pendingAuthFailures, recordAuthFailure } from './audit';
import { openDatabase, type Db } from '../db';

let dir: string;
let db: Db;
const auditRows = () =>
	db.prepare("SELECT username, ip, outcome, detail FROM audit_log WHERE action = 'auth.login' ORDER BY id").all() as Array<{
		username: string | null;
		ip: string | null;
		outcome: string;
		detail: string;
	}>;

beforeAll(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-auth-audit-'));
	db = openDatabase(path.join(dir, 'spyre.db'));
});
afterAll(() => {
	db.close();
	fs.rmSync(dir, { recursive: true, force: true });
});

describe('sign-in failure aggregation', () => {
	it('100 000 failures from one address for one user are two audit rows, and the count is kept exactly', { timeout: 60_000 }, () => {
		const before = auditRows().length;
		const t0 = 10 * AUTH_WINDOW_MS; // the start of a window
		db.transaction(() => {
			for (let i = 0; i < 100_000; i++) recordAuthFailure('203.0.113.9', 'admin', 'failure', t0 + (i % 1000), db);
		})();
		expect(auditRows().length - before).toBe(1); // the first one, at once
		expect(pendingAuthFailures(db)).toEqual([expect.objectContaining({ ip: '203.0.113.9', username: 'admin', count: 100_000 })]);
		expect(flushAuthFailures(t0 + AUTH_WINDOW_MS - 1, db)).toBe(0); // window not over yet
		expect(flushAuthFailures(t0 + AUTH_WINDOW_MS, db)).toBe(1);
		const rows = auditRows().slice(before);
		expect(rows).toHaveLength(2);
		expect(rows[1]).toMatchObject({ username: 'admin', ip: '203.0.113.9', outcome: 'failure' });
		expect(rows[1].detail).toMatch(/^99999 more \(100000 in all\) failed sign-ins/);
		expect(pendingAuthFailures(db)).toEqual([]);
	});

	it('spraying usernames and addresses folds into coarse keys: the rows per window stay bounded', { timeout: 60_000 }, () => {
		const before = auditRows().length;
		const t0 = 20 * AUTH_WINDOW_MS;
		db.transaction(() => {
			for (let i = 0; i < 20_000; i++) recordAuthFailure(`198.51.${i % 200}.${i % 250}`, `user${i}`, 'failure', t0 + i, db);
		})();
		flushAuthFailures(t0 + AUTH_WINDOW_MS, db);
		const rows = auditRows().slice(before);
		expect(rows.length).toBeLessThanOrEqual(4 * KEYS_PER_WINDOW + 2);
		// Nothing lost: the first-attempt rows plus the summaries add up to every failure.
		const total = rows.reduce((n, r) => n + (/^(\d+) more/.exec(r.detail) ? Number(/^(\d+) more/.exec(r.detail)![1]) : 1), 0);
		expect(total).toBe(20_000);
	});

	it('throttled attempts are counted apart from wrong passwords', () => {
		const t0 = 30 * AUTH_WINDOW_MS;
		recordAuthFailure('192.0.2.1', 'admin', 'failure', t0, db);
		recordAuthFailure('192.0.2.1', 'admin', 'denied', t0 + 1, db);
		recordAuthFailure('192.0.2.1', 'admin', 'denied', t0 + 2, db);
		expect(
			pendingAuthFailures(db)
				.map((p) => [p.outcome, p.count])
				.sort()
		).toEqual([
			['denied', 2],
			['failure', 1]
		]);
		flushAuthFailures(t0 + AUTH_WINDOW_MS, db);
	});
});
