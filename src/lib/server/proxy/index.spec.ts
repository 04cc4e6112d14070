import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig, type SpyreConfig } from '../env-config';
import { configFiles } from '../env-config/config.testkit';
import { checkServiceNames, forwardAuth, proxyMode, serviceOrigin } from './';

const config = (publicUrl: string, baseDomain?: string) =>
	({ server: { publicUrl }, caddy: baseDomain === undefined ? { adminUrl: 'http://127.0.0.1:2019' } : { baseDomain } }) as unknown as SpyreConfig;

describe('service hosts at provision', () => {
	it("refuses a service host equal to Spyre's own host, naming both", () => {
		const cfg = config('https://web--dev.example.com', 'example.com');
		expect(() => checkServiceNames(null, 'dev', [{ name: 'web', port: 80, protocol: 'http' }], cfg)).toThrow(/Service web of dev would be at web--dev\.example\.com, which is Spyre's own host/);
	});
	it('refuses a label longer than DNS allows and names with the separator', () => {
		const cfg = config('https://spyre.example.com', 'example.com');
		expect(() => checkServiceNames(null, 'h'.repeat(40), [{ name: 's'.repeat(30), port: 80, protocol: 'http' }], cfg)).toThrow(/63/);
		expect(() => checkServiceNames(null, 'a--b', [{ name: 'web', port: 80, protocol: 'http' }], cfg)).toThrow(/--/);
	});
	it('has nothing to check for tcp services or without base_domain (no URLs then)', () => {
		expect(() => checkServiceNames(null, 'dev', [{ name: 'web', port: 80, protocol: 'tcp' }], config('https://web--dev.example.com', 'example.com'))).not.toThrow();
		expect(() => checkServiceNames(null, 'dev', [{ name: 'web', port: 80, protocol: 'http' }], config('https://x.example.com'))).not.toThrow();
	});
});

describe('proxyMode / serviceOrigin', () => {
	it("has no mode without base_domain: nothing is served on Spyre's host", () => {
		expect(proxyMode(config('https://spyre.example.com'))).toBeNull();
		expect(proxyMode(config('https://spyre.example.com', 'Svc.Example.com'))).toEqual({ kind: 'subdomain', baseDomain: 'svc.example.com' });
	});
	it("a service origin has Spyre's public scheme and port", () => {
		expect(serviceOrigin('web--dev.example.com', config('https://spyre.example.com'))).toBe('https://web--dev.example.com');
		expect(serviceOrigin('web--dev.spyre.localhost', config('http://spyre.localhost:8080'))).toBe('http://web--dev.spyre.localhost:8080');
	});
});

describe('forward_auth dial', () => {
	const { dir, base } = configFiles();
	const loaded = (env: NodeJS.ProcessEnv, server: Record<string, unknown> = {}) => {
		const file = path.join(dir, 'env.yaml');
		const raw = base() as { server: Record<string, unknown> };
		Object.assign(raw.server, server);
		fs.writeFileSync(file, stringify(raw));
		return loadConfig(file, env);
	};
	it('dials where Spyre really listens when PORT/HOST override the file', () => {
		expect(forwardAuth(loaded({ PORT: '4123', HOST: '127.0.0.2' }, { port: 3000 })).dial).toBe('127.0.0.2:4123');
		expect(forwardAuth(loaded({ PORT: '4124' }, { host: '0.0.0.0', port: 3000 })).dial).toBe('127.0.0.1:4124');
		expect(forwardAuth(loaded({ HOST: '::1' }, { port: 3001 })).dial).toBe('[::1]:3001');
	});
	it("uses the file's values without PORT/HOST", () => {
		expect(forwardAuth(loaded({}, { host: '127.0.0.3', port: 3005 })).dial).toBe('127.0.0.3:3005');
	});
});
