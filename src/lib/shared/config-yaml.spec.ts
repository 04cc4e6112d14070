import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configYaml, octalMode } from './config-yaml';

describe('configYaml', () => {
	const config = {
		apiVersion: 'spyre/v1',
		metadata: { name: 'dev', description: null },
		spec: {
			platform: { node: 'pve', network: { bridge: 'vmbr0', ip: null, gw: null } },
			provision: {
				files: [
					{ path: '/etc/a', mode: 0o644, owner: null },
					{ path: '/usr/local/bin/b', mode: 0o755 },
					{ path: '/etc/c', mode: null },
					{ path: '/usr/bin/d', mode: 0o4755 }
				],
				packages: ['git']
			}
		}
	};
	const text = configYaml(config);

	it('prints modes in octal, as the config writes them', () => {
		expect(text).toContain('mode: "0644"');
		expect(text).toContain('mode: "0755"');
		expect(text).toContain('mode: "4755"');
		expect(text).not.toMatch(/mode: 420\b/);
	});

	it('leaves unset keys out', () => {
		expect(text).not.toContain('null');
		expect(text).not.toContain('description');
		expect(text).not.toMatch(/\bip:/);
	});

	it('parses back to the same config, modes as their octal strings', () => {
		const back = parse(text);
		expect(back.spec.provision.files.map((f: { mode?: string }) => f.mode)).toEqual(['0644', '0755', undefined, '4755']);
		expect(back.spec.platform.network).toEqual({ bridge: 'vmbr0' });
		expect(back.spec.provision.packages).toEqual(['git']);
	});

	it('pads short modes', () => {
		expect(octalMode(0o7)).toBe('0007');
		expect(octalMode(0o600)).toBe('0600');
	});
});
