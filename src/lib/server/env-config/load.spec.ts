import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { configFiles } from './config.testkit';
import { ConfigError } from './errors';
import { configPathFromEnv, loadConfig } from './load';

const { dir, base } = configFiles();

describe('loadConfig: reading the file', () => {
	it('a missing file is one line that says to run ./setup.sh', () => {
		const file = path.join(dir, 'nope', 'environment.yaml');
		let err: unknown;
		try {
			loadConfig(file);
		} catch (e) {
			err = e;
		}
		expect(err).toBeInstanceOf(ConfigError);
		const msg = (err as Error).message;
		expect(msg).toContain('./setup.sh');
		expect(msg).toContain(file);
		expect(msg.split('\n')).toHaveLength(1);
		// server.js recognises config errors by name to print them without a stack.
		expect((err as Error).name).toBe('ConfigError');
	});

	it('an unreadable file (a directory, EISDIR: fails even as root) names the error code', () => {
		const file = path.join(dir, 'is-a-dir.yaml');
		fs.mkdirSync(file, { recursive: true });
		expect(() => loadConfig(file)).toThrowError(ConfigError);
		expect(() => loadConfig(file)).toThrowError(/Cannot read .*is-a-dir\.yaml \(EISDIR\).*\.\/setup\.sh/);
	});

	it('reads and validates a good file and remembers its path', () => {
		const file = path.join(dir, 'good.yaml');
		fs.writeFileSync(file, stringify(base()));
		const cfg = loadConfig(file);
		expect(cfg.configPath).toBe(file);
		expect(cfg.proxmox.node).toBe('pve');
	});

	it('configPathFromEnv: SPYRE_CONFIG (resolved to absolute), else ./environment.yaml', () => {
		expect(configPathFromEnv({ SPYRE_CONFIG: '/x/y.yaml' })).toBe('/x/y.yaml');
		expect(configPathFromEnv({ SPYRE_CONFIG: 'rel/y.yaml' })).toBe(path.resolve('rel/y.yaml'));
		expect(configPathFromEnv({})).toBe(path.join(process.cwd(), 'environment.yaml'));
	});
});
