import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db';
import { deleteShared, insertShared, replaceServices, servicesOf } from './store';

const MODE = { kind: 'subdomain', baseDomain: 'example.com' } as const;
let dir: string;
let db: Db;

beforeEach(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-services-spec-'));
	db = openDatabase(path.join(dir, 'spyre.db'));
	db.prepare(`INSERT INTO environments (id, vmid, node, hostname, status, ip, created_at, updated_at) VALUES ('env-1', 101, 'pve', 'dev', 'running', '10.213.0.5', 0, 0)`).run();
});

afterEach(() => {
	db.close();
	fs.rmSync(dir, { recursive: true, force: true });
});

const names = () => servicesOf('env-1', db).map((s) => `${s.name}:${s.port}:${s.shared}`);

describe('shared ports in the services table', () => {
	it('a re-provision replaces declared services and keeps shared ports', () => {
		replaceServices('env-1', 'dev', [{ name: 'web', port: 80, protocol: 'http' }], MODE, db);
		insertShared('env-1', 'dev', 'p8080', 8080, db);
		const row = servicesOf('env-1', db).find((s) => s.name === 'p8080')!;
		expect(row.subdomain).toBe('p8080--dev');
		expect(row.routeId).toBe('spyre-svc-env-1-p8080');
		expect(replaceServices('env-1', 'dev', [{ name: 'api', port: 81, protocol: 'http' }], MODE, db)).toEqual([]);
		expect(names()).toEqual(['api:81:0', 'p8080:8080:1']);
	});

	it.each([
		['its port', { name: 'dev-server', port: 8080, protocol: 'http' as const }, ['dev-server:8080:0']],
		['its name', { name: 'p8080', port: 9000, protocol: 'http' as const }, ['p8080:9000:0']]
	])("a declared service that takes a shared port's %s wins, and the share is reported", (_what, declared, after) => {
		insertShared('env-1', 'dev', 'p8080', 8080, db);
		const displaced = replaceServices('env-1', 'dev', [declared], MODE, db);
		expect(displaced.map((s) => s.name)).toEqual(['p8080']);
		expect(names()).toEqual(after);
	});

	it('unshare removes only a shared row, never a declared service', () => {
		replaceServices('env-1', 'dev', [{ name: 'web', port: 80, protocol: 'http' }], MODE, db);
		insertShared('env-1', 'dev', 'p8080', 8080, db);
		expect(deleteShared('env-1', 80, db)).toBeUndefined();
		expect(deleteShared('env-1', 8080, db)?.name).toBe('p8080');
		expect(names()).toEqual(['web:80:0']);
	});
});
