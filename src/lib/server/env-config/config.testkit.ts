// Test-only: a throwaway directory with an SSH key pair and a minimal valid environment.yaml as a plain object,
// shared by the env-config specs. Each spec file gets its own directory, removed after its tests.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError } from './errors';
import { parseConfig } from './parse';
import type { SpyreConfig } from './types';

export const SECRET = 'tok-9f3c1d2e-SUPER-SECRET-VALUE';
export const FP = 'AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99';

export type Raw = Record<string, unknown>;
export type RawSections = Raw & { server: Raw; proxmox: Raw & { tls: Raw }; ssh: Raw };

/** Makes the directory and key files now and removes them after the calling spec file's tests. */
export function configFiles() {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-config-spec-'));
	const priv = path.join(dir, 'id_ed25519');
	const pub = `${priv}.pub`;
	fs.writeFileSync(priv, '-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n');
	fs.writeFileSync(pub, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvWkm0cXk3GQ5Ojz7wQcC0pQ1F0Zl2b5m2s0mJ9v8Xs spyre@test\n');
	afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

	/** A minimal valid config as a plain object; tests mutate a fresh copy. */
	function base(): Raw {
		return {
			server: { public_url: 'http://127.0.0.1:3000', data_dir: dir },
			proxmox: {
				url: 'https://pve.example.com:8006',
				node: 'pve',
				token_id: 'root@pam!spyre',
				token_secret: SECRET,
				tls: { fingerprint: FP },
				network: { mode: 'dhcp', cidr: '10.0.0.0/24' }
			},
			ssh: { private_key_path: priv, public_key_path: pub }
		};
	}

	function withSet(mutate: (c: RawSections) => void): Raw {
		const c = base() as RawSections;
		mutate(c);
		return c;
	}

	return { dir, priv, pub, base, withSet };
}

export function parse(raw: unknown): SpyreConfig {
	return parseConfig(typeof raw === 'string' ? raw : stringify(raw), '/etc/spyre/environment.yaml');
}

/** Parse, expect a ConfigError, and return it (so tests can look at message and problems). */
export function problemsOf(raw: unknown): ConfigError {
	try {
		parse(raw);
	} catch (err) {
		expect(err).toBeInstanceOf(ConfigError);
		return err as ConfigError;
	}
	throw new Error('expected a ConfigError, but the config was accepted');
}
