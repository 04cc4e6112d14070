// The job registry and run recording against a real SQLite file (the process-wide DB handle points at a
// temp database for this file): one job per key, cancel, progress recorded and published, stale runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, openDatabase, type Db } from '../db';
import { subscribe, type ServerEvent } from '../events';
import { singleton } from '../singleton';
import { insertEnvironment, newEnvironmentId } from '../environments/repo';
import * as jobs from './index';
import { createRun } from './record';

let dir: string;
let db: Db;
const actor = { userId: null, username: 'tester', ip: '127.0.0.1' };
const unsubscribers: Array<() => void> = [];

beforeAll(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-jobs-spec-'));
	closeDb();
	db = singleton('db', () => openDatabase(path.join(dir, 'spyre.db')));
});

afterEach(async () => {
	for (const u of unsubscribers.splice(0)) u();
	await jobs.settleAll();
});

afterAll(() => {
	closeDb();
	fs.rmSync(dir, { recursive: true, force: true });
});

function newEnv(): string {
	const id = newEnvironmentId();
	insertEnvironment({ id, hostname: id.slice(4), node: 'pve', status: 'running' }, db);
	return id;
}

function job(key: string, work: jobs.JobSpec['work'], extra: Partial<jobs.JobSpec> = {}): jobs.Run {
	return jobs.startJob({ key, kind: 'start', actor, action: 'test.job', target: key, work, ...extra });
}

/** A promise and the function that resolves it, so a test decides when the work ends. */
function gate(): { wait: Promise<void>; open: () => void } {
	let open = () => {};
	const wait = new Promise<void>((r) => (open = r));
	return { wait, open };
}

function auditRows(target: string): Array<{ outcome: string; detail: string | null }> {
	return db.prepare('SELECT outcome, detail FROM audit_log WHERE target = ? ORDER BY id').all(target) as Array<{ outcome: string; detail: string | null }>;
}

describe('one job per key', () => {
	it('refuses a second job on a busy key with a conflict naming the running kind, and frees the key after', async () => {
		const key = newEnv();
		const g = gate();
		job(key, () => g.wait);
		expect(jobs.isBusy(key)).toBe(true);
		expect(jobs.busyKind(key)).toBe('start');
		expect(() => job(key, async () => {})).toThrow(/busy \(start\)/);
		const err = (() => {
			try {
				job(key, async () => {});
			} catch (e) {
				return e as { code?: string };
			}
		})();
		expect(err?.code).toBe('conflict');
		// Another key is independent.
		const other = newEnv();
		job(other, async () => {});
		await jobs.settled(other);

		g.open();
		await jobs.settled(key);
		expect(jobs.isBusy(key)).toBe(false);
		expect(jobs.busyKind(key)).toBeNull();
		expect(jobs.latestRun(key)).toMatchObject({ status: 'succeeded', percent: 100, environmentId: key });
		expect(auditRows(key)).toEqual([{ outcome: 'success', detail: null }]);
		// Free again: a new job starts.
		job(key, async () => {});
		await jobs.settled(key);
	});

	it('runs the work synchronously up to its first await, and frees the key when it throws at once', async () => {
		const key = newEnv();
		let touched = false;
		job(key, async () => {
			touched = true;
			throw new Error('boom before any await');
		});
		expect(touched).toBe(true);
		await jobs.settled(key);
		expect(jobs.isBusy(key)).toBe(false);
		expect(jobs.latestRun(key)).toMatchObject({ status: 'failed', error: 'boom before any await' });
	});

	it('records a failure: error event, failed run, onFailure called after the run is marked, audit failure', async () => {
		const key = newEnv();
		let seen: { status?: string; step?: string | null; message?: string } = {};
		job(
			key,
			async (run) => {
				run.step('fetch', 'Fetching');
				await sleep(1);
				throw new Error('the mirror is down');
			},
			{
				onFailure: (err, run) => {
					seen = { status: jobs.getRun(run.id)!.status, step: run.currentStep, message: (err as Error).message };
				}
			}
		);
		await jobs.settled(key);
		expect(seen).toEqual({ status: 'failed', step: 'fetch', message: 'the mirror is down' });
		const run = jobs.latestRun(key)!;
		expect(run.events.at(-1)).toMatchObject({ kind: 'error', message: 'the mirror is down', step: 'fetch' });
		expect(auditRows(key)).toEqual([{ outcome: 'failure', detail: 'the mirror is down' }]);
	});
});

describe('cancel', () => {
	it('fires the work signal and ends the run cancelled (not failed), with the reason', async () => {
		const key = newEnv();
		let aborted = false;
		let failureArg: unknown;
		job(
			key,
			async (_run, signal) => {
				signal.addEventListener('abort', () => (aborted = true));
				// node:timers/promises rejects with an AbortError, not the reason: still a cancel.
				await sleep(60_000, undefined, { signal });
			},
			{ onFailure: (err) => void (failureArg = err) }
		);
		expect(jobs.cancel(key, 'Stopped by tester.')).toBe(true);
		await jobs.settled(key);
		expect(aborted).toBe(true);
		expect(jobs.isCancelled(failureArg)).toBe(true);
		const run = jobs.latestRun(key)!;
		expect(run).toMatchObject({ status: 'cancelled', error: 'Stopped by tester.' });
		expect(run.finishedAt).not.toBeNull();
		expect(run.events.at(-1)).toMatchObject({ kind: 'warning', message: 'Stopped by tester.' });
		expect(auditRows(key)).toEqual([{ outcome: 'failure', detail: 'cancelled: Stopped by tester.' }]);
	});

	it('is false when nothing runs on the key', () => {
		expect(jobs.cancel(newEnv())).toBe(false);
	});

	it('a job that finishes despite the cancel still counts as succeeded', async () => {
		const key = newEnv();
		const g = gate();
		job(key, () => g.wait);
		jobs.cancel(key);
		g.open();
		await jobs.settled(key);
		expect(jobs.latestRun(key)!.status).toBe('succeeded');
	});
});

describe('steps and progress', () => {
	it('records phase, step i/n and percent on events and the run, and publishes them as env.log', async () => {
		const key = newEnv();
		const seen: ServerEvent[] = [];
		unsubscribers.push(subscribe((e) => e.type === 'env.log' && seen.push(e)));
		const g = gate();
		const run = job(
			key,
			async (run) => {
				run.setPhase('helper');
				run.step('script', 'Running the helper script', { index: 1, total: 2, percent: 40 });
				run.event('output', 'line one');
				run.step('install', 'Installing packages', { phase: 'provision', index: 2, total: 2, percent: 70.4 });
				await g.wait;
			},
			{ kind: 'provision', configName: 'dev-web', configSnapshot: 'spec: {}\n' }
		);
		expect(run.currentPhase).toBe('provision');
		expect(run.currentStep).toBe('install');
		const mid = jobs.getRun(run.id)!;
		expect(mid).toMatchObject({ status: 'running', phase: 'provision', step: 'install', percent: 70, configName: 'dev-web', configSnapshot: 'spec: {}\n', kind: 'provision' });
		expect(mid.events.map(({ ts: _ts, ...e }) => e)).toEqual([
			{ seq: 1, kind: 'step', step: 'script', message: 'Running the helper script', phase: 'helper', index: 1, total: 2, percent: 40 },
			{ seq: 2, kind: 'output', step: 'script', message: 'line one', phase: 'helper' },
			{ seq: 3, kind: 'step', step: 'install', message: 'Installing packages', phase: 'provision', index: 2, total: 2, percent: 70 }
		]);
		expect(seen.map((e) => e.data)).toEqual([
			expect.objectContaining({ id: key, runId: run.id, runKind: 'provision', seq: 1, kind: 'step', phase: 'helper', index: 1, total: 2, percent: 40 }),
			expect.objectContaining({ id: key, runId: run.id, seq: 2, kind: 'output', message: 'line one', phase: 'helper' }),
			expect.objectContaining({ seq: 3, phase: 'provision', index: 2, total: 2, percent: 70 })
		]);
		expect(seen[1].data).not.toHaveProperty('percent');
		const ended: ServerEvent[] = [];
		unsubscribers.push(subscribe((e) => e.type === 'env.run' && ended.push(e)));
		g.open();
		await jobs.settled(key);
		expect(jobs.getRun(run.id)).toMatchObject({ status: 'succeeded', percent: 100 });
		expect(ended.map((e) => e.data)).toEqual([{ id: key, runId: run.id, runKind: 'provision', status: 'succeeded', error: null }]);
	});

	it('ignores nonsense progress instead of failing the run, and truncates huge messages', async () => {
		const key = newEnv();
		const run = job(key, async (run) => {
			run.step('x', 'odd', { index: 0, total: -1, percent: 250 });
			run.event('output', 'y'.repeat(10_000));
		});
		await jobs.settled(key);
		const view = jobs.getRun(run.id)!;
		expect(view.events[0]).toMatchObject({ kind: 'step', percent: 100 });
		expect(view.events[0]).not.toHaveProperty('index');
		expect(view.events[1].message.length).toBeLessThanOrEqual(4001);
	});

	it('keeps every run: a retry lists beside the failed attempt, whose log stays readable', async () => {
		const key = newEnv();
		const failed = job(
			key,
			async (run) => {
				run.event('output', 'widget missing');
				throw new Error('exit 4');
			},
			{ kind: 'provision' }
		);
		await jobs.settled(key);
		const started = job(key, async () => {});
		await jobs.settled(key);
		const retried = job(key, async (run) => run.event('output', 'widget ok'), { kind: 'provision' });
		await jobs.settled(key);

		expect(jobs.listRuns(key).map((r) => [r.id, r.kind, r.status])).toEqual([
			[retried.id, 'provision', 'succeeded'],
			[started.id, 'start', 'succeeded'],
			[failed.id, 'provision', 'failed']
		]);
		expect(jobs.listRuns(key)[0]).not.toHaveProperty('events');
		expect(jobs.listRuns(key, 1)).toHaveLength(1);
		expect(jobs.getRun(failed.id)!.events.map((e) => e.message)).toContain('widget missing');
		expect(jobs.latestRun(key, 'provision', db)!.id).toBe(retried.id);
		expect(jobs.latestRun(key)!.id).toBe(retried.id);
	});

	it('pages back through a long log and a long list of runs, so every line and every run stays reachable', async () => {
		const key = newEnv();
		const lines = jobs.VIEW_EVENTS * 2 + 7;
		const long = job(
			key,
			async (run) => {
				for (let i = 1; i <= lines; i++) run.event('output', `line ${i}`);
			},
			{ kind: 'provision' }
		);
		await jobs.settled(key);
		const newest = jobs.getRun(long.id)!;
		expect(newest.events).toHaveLength(jobs.VIEW_EVENTS);
		expect(newest.events.at(-1)!.message).toBe(`line ${lines}`);
		expect(newest.earlierEvents).toBe(lines - jobs.VIEW_EVENTS);
		const seen = [...newest.events];
		let page = newest;
		while (page.earlierEvents) {
			page = jobs.getRun(long.id, db, page.events[0].seq)!;
			seen.unshift(...page.events);
		}
		expect(seen.map((e) => e.message)).toEqual(Array.from({ length: lines }, (_, i) => `line ${i + 1}`));
		expect(page).not.toHaveProperty('earlierEvents');

		const ids = [long.id];
		for (let i = 0; i < 4; i++) {
			ids.unshift(job(key, async () => {}).id);
			await jobs.settled(key);
		}
		const first = jobs.listRuns(key, 2);
		expect(first.map((r) => r.id)).toEqual(ids.slice(0, 2));
		const rest = jobs.listRuns(key, 10, db, first.at(-1)!.id);
		expect(rest.map((r) => r.id)).toEqual(ids.slice(2));
	});

	it('the newest run of a kind outlives later runs of other kinds', async () => {
		const key = newEnv();
		const failed = job(
			key,
			async () => {
				throw new Error('exit 4');
			},
			{ kind: 'provision' }
		);
		await jobs.settled(key);
		job(key, async () => {});
		await jobs.settled(key);
		expect(jobs.latestRun(key)!.kind).toBe('start');
		expect(jobs.latestRun(key, 'provision', db)).toMatchObject({ id: failed.id, status: 'failed', error: 'exit 4' });
	});

	it('getRun and latestRun are null for unknown ids', () => {
		expect(jobs.getRun(987654)).toBeNull();
		expect(jobs.latestRun('env-none')).toBeNull();
	});
});

describe('latestConfigSnapshot', () => {
	it('is the newest snapshot of the environment, skipping later runs without one; null when none has one', () => {
		const env = newEnv();
		expect(jobs.latestConfigSnapshot(env)).toBeNull();
		createRun({ environmentId: env, kind: 'provision', userId: null, configSnapshot: 'old: 1' }).finish('succeeded');
		createRun({ environmentId: env, kind: 'provision', userId: null, configSnapshot: 'new: 2' }).finish('failed', 'x');
		createRun({ environmentId: env, kind: 'start', userId: null }).finish('succeeded');
		createRun({ environmentId: newEnv(), kind: 'provision', userId: null, configSnapshot: 'other: 3' }).finish('succeeded');
		expect(jobs.latestConfigSnapshot(env)).toBe('new: 2');
	});
});

describe('interruptStaleRuns', () => {
	it('marks runs a previous process left running as interrupted, keeping runs of live jobs', async () => {
		const crashed = newEnv();
		db.prepare("INSERT INTO provision_runs (environment_id, kind, status, started_at) VALUES (?, 'create', 'running', ?)").run(crashed, Date.now());
		const live = newEnv();
		const g = gate();
		const liveRun = job(live, () => g.wait);

		expect(jobs.interruptStaleRuns()).toEqual([crashed]);
		expect(jobs.latestRun(crashed)).toMatchObject({ status: 'interrupted', error: 'Spyre stopped while this was running' });
		expect(jobs.getRun(liveRun.id)!.status).toBe('running');
		expect(jobs.interruptStaleRuns()).toEqual([]);

		g.open();
		await jobs.settled(live);
		expect(jobs.getRun(liveRun.id)!.status).toBe('succeeded');
	});

	it('a run ended by interruptStaleRuns keeps that status when its holder calls finish later', () => {
		const key = newEnv();
		const run = createRun({ environmentId: key, kind: 'stop', userId: null }, db);
		expect(jobs.interruptStaleRuns()).toContain(key);
		run.finish('succeeded');
		expect(jobs.getRun(run.id)).toMatchObject({ status: 'interrupted', percent: null });
	});
});

describe('shutdown', () => {
	it('interruptAll records running runs as interrupted, and what the work throws afterwards is not a failure', async () => {
		const key = newEnv();
		const g = gate();
		let onFailureCalled = false;
		const run = job(
			key,
			async () => {
				await g.wait;
				throw new Error('SSH connection lost');
			},
			{ onFailure: () => void (onFailureCalled = true) }
		);
		expect(jobs.interruptAll()).toBe(1);
		g.open();
		await jobs.settled(key);
		expect(jobs.getRun(run.id)!.status).toBe('interrupted');
		expect(jobs.getRun(run.id)!.error).toMatch(/Spyre stopped/);
		expect(onFailureCalled).toBe(false);
		expect(jobs.isBusy(key)).toBe(false);
	});
});
