// The dashboard's queries against a real SQLite file: provisions (running first), activity without IPs
// or details, the user's last terminal (only while its environment exists), nodes charged with guests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as audit from '../audit';
import { openDatabase, type Db } from '../db';
import { lastTerminal, nodeBases, recentActivity, recentProvisions } from './dashboard';
import { deleteEnvironment, insertEnvironment, newEnvironmentId } from './repo';
import { createRun } from '../jobs/record';

let dir: string;
let db: Db;

beforeAll(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-dashboard-spec-'));
	db = openDatabase(path.join(dir, 'spyre.db'));
});

afterAll(() => {
	db.close();
	fs.rmSync(dir, { recursive: true, force: true });
});

function newEnv(hostname: string): string {
	const id = newEnvironmentId();
	insertEnvironment({ id, hostname, node: 'pve', status: 'running' }, db);
	return id;
}

describe('dashboard queries', () => {
	it('lists running provisions first with their progress, then finished ones; other kinds never', () => {
		const a = newEnv('prov-a');
		const b = newEnv('prov-b');
		const done = createRun({ environmentId: a, kind: 'provision', userId: null, configName: 'dev-web' }, db);
		done.finish('failed', 'apt failed');
		createRun({ environmentId: a, kind: 'create', userId: null }, db);
		const live = createRun({ environmentId: b, kind: 'provision', userId: null }, db);
		live.step('packages', 'Installing packages', { phase: 'provision', percent: 40 });
		const items = recentProvisions(db);
		expect(items.map((p) => [p.hostname, p.status])).toEqual([
			['prov-b', 'running'],
			['prov-a', 'failed']
		]);
		expect(items[0]).toMatchObject({ step: 'packages', percent: 40, phase: 'provision' });
		expect(items[1]).toMatchObject({ configName: 'dev-web', error: 'apt failed' });
	});

	it('shows activity without the client IP or the detail', () => {
		audit.record({ userId: null, username: 'ada', ip: '10.0.0.9' }, 'environment.create', 'box', 'success', 'some detail', db);
		const [row] = recentActivity(10, db);
		expect(row).toMatchObject({ username: 'ada', action: 'environment.create', target: 'box', outcome: 'success' });
		expect(Object.keys(row).sort()).toEqual(['action', 'environmentId', 'id', 'outcome', 'target', 'ts', 'username']);
	});

	it('names an environment target by its hostname and links it; a gone one keeps its id', () => {
		const live = newEnv('walk-fail');
		const gone = newEnv('gone-box');
		deleteEnvironment(gone, db);
		audit.record({ userId: null, username: 'ada' }, 'terminal.attach', live, 'success', 'window 0', db);
		audit.record({ userId: null, username: 'ada' }, 'terminal.attach', gone, 'success', 'window 0', db);
		const [goneRow, liveRow] = recentActivity(2, db);
		expect(liveRow).toMatchObject({ target: 'walk-fail', environmentId: live });
		expect(goneRow).toMatchObject({ target: gone, environmentId: null });
	});

	it("finds the user's last successful terminal, and forgets it once the environment is gone", () => {
		const user = db.prepare("INSERT INTO users (username, password_hash, role, created_at) VALUES ('ada', 'x', 'admin', 0)").run().lastInsertRowid as number;
		const one = newEnv('term-one');
		const two = newEnv('term-two');
		audit.record({ userId: user }, 'terminal.attach', one, 'success', 'window 0', db);
		audit.record({ userId: user }, 'terminal.attach', two, 'success', 'window 0', db);
		audit.record({ userId: user }, 'terminal.attach', one, 'failure', 'unreachable', db);
		expect(lastTerminal(user, db)).toMatchObject({ environmentId: two, hostname: 'term-two' });
		expect(lastTerminal(user + 1, db)).toBeNull();
		deleteEnvironment(two, db);
		expect(lastTerminal(user, db)).toMatchObject({ environmentId: one });
	});

	it('charges unmanaged CTs and VMs to their node', () => {
		const guest = { type: 'lxc' as const, vmid: 200, node: 'pve', name: 'x', status: 'running' as const, maxcpu: 2, maxmem: 2 * 2 ** 30, maxdisk: 8 * 2 ** 30, uptime: 0, lock: null, template: false };
		const nodes = nodeBases({
			nodes: [
				{ node: 'pve', status: 'online', maxcpu: 8, maxmem: 0, maxdisk: 0 },
				{ node: 'pve2', status: 'offline', maxcpu: 4, maxmem: 0, maxdisk: 0 }
			],
			unmanaged: [guest],
			vms: [{ ...guest, type: 'qemu', vmid: 300, maxcpu: 4 }]
		});
		expect(nodes[0].other).toEqual({ guests: 2, cores: 6, memoryMb: 4096, diskGb: 16 });
		expect(nodes[1].other).toEqual({ guests: 0, cores: 0, memoryMb: 0, diskGb: 0 });
	});
});
