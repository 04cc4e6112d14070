// The public API wired to environment.yaml, the real audit log (SQLite in a temp dir) and the repo's
// built-in examples: what routes and the provisioner call.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as audit from '../audit';
import { closeDb } from '../db';
import { resetConfigForTests } from '../env-config';
import { forgetSingleton } from '../singleton';
import * as configs from './index';

let dir: string;
const saved = { SPYRE_CONFIG: process.env.SPYRE_CONFIG, SPYRE_BUILTIN_CONFIGS: process.env.SPYRE_BUILTIN_CONFIGS };
const actor = { userId: null, username: 'spec', ip: '127.0.0.1' };

beforeAll(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-configs-index-'));
	fs.writeFileSync(path.join(dir, 'id'), 'not-a-key\n');
	fs.writeFileSync(path.join(dir, 'id.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvWkm0cXk3GQ5Ojz7wQcC0pQ1F0Zl2b5m2s0mJ9v8Xs spec\n');
	fs.writeFileSync(
		path.join(dir, 'environment.yaml'),
		[
			'server: { public_url: "http://127.0.0.1:3000", data_dir: ' + JSON.stringify(dir) + ' }',
			'configs: { dir: ' + JSON.stringify(path.join(dir, 'team')) + ' }',
			'proxmox:',
			'  url: https://127.0.0.1:8006',
			'  node: sim1',
			'  token_id: root@pam!spyre',
			'  token_secret: x',
			'  storage: fast',
			'  network: { mode: dhcp, cidr: 10.0.0.0/24 }',
			'  defaults: { cores: 3, memory_mb: 1024, disk_gb: 5 }',
			'ssh: { private_key_path: ' + JSON.stringify(path.join(dir, 'id')) + ', public_key_path: ' + JSON.stringify(path.join(dir, 'id.pub')) + ' }',
			''
		].join('\n')
	);
	process.env.SPYRE_CONFIG = path.join(dir, 'environment.yaml');
	process.env.SPYRE_BUILTIN_CONFIGS = path.resolve('configs');
	resetConfigForTests();
	forgetSingleton('configs.store');
	closeDb();
});

afterAll(() => {
	closeDb();
	forgetSingleton('configs.store');
	resetConfigForTests();
	for (const [k, v] of Object.entries(saved))
		if (v === undefined) delete process.env[k];
		else process.env[k] = v;
	fs.rmSync(dir, { recursive: true, force: true });
});

describe('configs API', () => {
	it('lists the shipped examples as built-in and valid', () => {
		const list = configs.listConfigs();
		expect(list.map((c) => [c.name, c.builtIn, c.base, c.valid])).toEqual([
			['claude-dev', true, false, true],
			['dev-web', true, false, true],
			['ubuntu-dev', true, true, true]
		]);
	});

	it('resolves with environment.yaml defaults where the chain sets nothing', () => {
		const { config, chain } = configs.resolveConfig('dev-web');
		expect(chain).toEqual(['dev-web', 'ubuntu-dev']);
		expect(config.spec.platform).toMatchObject({ node: 'sim1', storage: 'fast', cores: 2, memory: 3072, disk: 8 });
		const blank = configs.checkConfigText('apiVersion: spyre/v1\nkind: Environment\nextends: ubuntu-dev\n').resolved!;
		expect(blank.spec.platform).toMatchObject({ node: 'sim1', storage: 'fast', network: { bridge: 'vmbr0', ip: null, gw: null } });
	});

	it('saves into configs.dir and writes audit rows', () => {
		const summary = configs.saveConfig('mine', 'apiVersion: spyre/v1\nkind: Environment\nextends: ubuntu-dev\n', actor);
		expect(summary).toMatchObject({ name: 'mine', builtIn: false, valid: true });
		expect(fs.existsSync(path.join(dir, 'team', 'mine.yaml'))).toBe(true);
		configs.createConfig('mine2', { clone: 'dev-web' }, actor);
		configs.deleteConfig('mine2', actor);
		expect(() => configs.deleteConfig('dev-web', actor)).toThrow(/built-in/);
		const rows = audit.recent(10).map((r) => [r.action, r.target, r.outcome]);
		expect(rows).toEqual([
			['config.delete', 'dev-web', 'denied'],
			['config.delete', 'mine2', 'success'],
			['config.create', 'mine2', 'success'],
			['config.save', 'mine', 'success']
		]);
	});

	it('serves a JSON Schema', () => {
		expect(configs.configJsonSchema()).toMatchObject({ type: 'object', title: 'Spyre environment config (spyre/v1)' });
	});
});
