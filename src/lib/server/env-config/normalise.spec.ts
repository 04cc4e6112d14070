import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFiles, parse, problemsOf } from './config.testkit';

const { dir, base, withSet } = configFiles();

describe('parseConfig: defaults and derived values', () => {
	it('applies every documented default', () => {
		const cfg = parse(base());
		expect(cfg.server).toEqual({
			host: '127.0.0.1',
			port: 3000,
			publicUrl: 'http://127.0.0.1:3000',
			dataDir: dir
		});
		expect(cfg.database.path).toBe(path.join(dir, 'spyre.db'));
		expect(cfg.proxmox).toMatchObject({
			url: 'https://pve.example.com:8006',
			storage: 'local-lvm',
			templateStorage: 'local',
			bridge: 'vmbr0',
			network: { mode: 'dhcp', cidr: '10.0.0.0/24' },
			defaults: { cores: 2, memoryMb: 2048, diskGb: 8 },
			requestTimeoutMs: 15_000,
			taskTimeoutMs: 300_000,
			ipTimeoutMs: 120_000
		});
		expect(cfg.ssh).toMatchObject({
			user: 'root',
			port: 22,
			connectTimeoutMs: 10_000,
			keepaliveIntervalMs: 30_000,
			keepaliveCountMax: 5,
			idleCloseMs: 600_000
		});
		expect(cfg.claude).toEqual({ cliPath: 'claude', configDir: path.join(dir, 'claude'), maxAttemptClones: 8 });
		expect(cfg.proxmoxHostSsh).toBeUndefined();
		expect(cfg.caddy).toBeUndefined();
	});

	it('partial defaults sections keep the other defaults', () => {
		const cfg = parse(withSet((c) => (c.proxmox.defaults = { cores: 4 })));
		expect(cfg.proxmox.defaults).toEqual({ template: undefined, cores: 4, memoryMb: 2048, diskGb: 8 });
	});

	it('trailing slashes are stripped', () => {
		const cfg = parse(
			withSet((c) => {
				c.server.public_url = 'https://spyre.example.com/';
				c.proxmox.url = 'https://pve.example.com:8006//';
			})
		);
		expect(cfg.server.publicUrl).toBe('https://spyre.example.com');
		expect(cfg.proxmox.url).toBe('https://pve.example.com:8006');
	});

	it('database.path overrides the default', () => {
		const cfg = parse(withSet((c) => (c.database = { path: '/srv/spyre/x.db' })));
		expect(cfg.database.path).toBe('/srv/spyre/x.db');
	});

	it('configs.dir defaults to <data_dir>/configs, may be set, and must be absolute', () => {
		expect(parse(base()).configs.dir).toBe(path.join(dir, 'configs'));
		expect(parse(withSet((c) => (c.configs = { dir: '/srv/team-configs' }))).configs.dir).toBe('/srv/team-configs');
		const err = problemsOf(withSet((c) => (c.configs = { dir: 'relative/configs' })));
		expect(err.problems).toContain('configs.dir: must be an absolute path');
	});

	it('the result is deeply frozen', () => {
		const cfg = parse(
			withSet((c) => {
				c.bogus = 1;
				c.proxmox.network = { mode: 'static', range_start: '10.0.0.2', range_end: '10.0.0.9', prefix: 24, gateway: '10.0.0.1' };
			})
		);
		const objects = [cfg, cfg.server, cfg.database, cfg.proxmox, cfg.proxmox.tls, cfg.proxmox.network, cfg.proxmox.defaults, cfg.ssh, cfg.claude, cfg.warnings];
		for (const o of objects) expect(Object.isFrozen(o)).toBe(true);
		expect(() => {
			(cfg.server as { port: number }).port = 1;
		}).toThrow(TypeError);
		expect(() => {
			(cfg.warnings as string[]).push('x');
		}).toThrow(TypeError);
		expect(cfg.server.port).toBe(3000);
	});
});
