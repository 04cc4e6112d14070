// SSH to the Proxmox host itself (environment.yaml's `proxmox_host_ssh`), for helper scripts that run
// through `pct exec`. A pool of its own, because the host has its own key and user; its host key is
// pinned on first use in the data dir (the environments table holds only containers' keys), and a changed
// key stops the step instead of being accepted.

import fs from 'node:fs';
import path from 'node:path';
import { getConfig } from '../env-config';
import { SpyreError } from '../errors';
import { singleton } from '../singleton';
import { createSshPool, type HostKeyStore, type SshPool, type SshTarget } from '../ssh';

/** Pinned host keys in a small JSON file, written atomically (0600). */
export function fileHostKeyStore(file: string): HostKeyStore {
	const load = (): Record<string, string> => {
		try {
			const data = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
			return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, string>) : {};
		} catch {
			return {};
		}
	};
	const save = (data: Record<string, string>) => {
		fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
		const tmp = `${file}.${process.pid}.tmp`;
		fs.writeFileSync(tmp, JSON.stringify(data, null, 2), { mode: 0o600 });
		fs.renameSync(tmp, file);
	};
	return {
		get: (key) => load()[key] ?? null,
		pin: (key, fp) => {
			const data = load();
			if (data[key]) return;
			data[key] = fp;
			save(data);
		},
		clear: (key) => {
			const data = load();
			delete data[key];
			save(data);
		}
	};
}

const HOST_KEY = 'proxmox-host';

export function proxmoxHostTarget(): SshTarget {
	const host = getConfig().proxmoxHostSsh;
	if (!host) {
		throw new SpyreError('config', 'This config has a helper_script, which runs on the Proxmox host: add proxmox_host_ssh (host, user, private_key_path) to environment.yaml.');
	}
	return { envId: HOST_KEY, host: host.host, port: host.port };
}

export function proxmoxHostPool(): SshPool {
	return singleton('provisioner.proxmox-host-ssh', () => {
		const cfg = getConfig();
		const host = cfg.proxmoxHostSsh;
		if (!host) throw new SpyreError('config', 'proxmox_host_ssh is not configured in environment.yaml.');
		return createSshPool({
			privateKey: fs.readFileSync(host.privateKeyPath),
			user: host.user,
			port: host.port,
			connectTimeoutMs: cfg.ssh.connectTimeoutMs,
			keepaliveIntervalMs: cfg.ssh.keepaliveIntervalMs,
			keepaliveCountMax: cfg.ssh.keepaliveCountMax,
			idleCloseMs: 60_000,
			hostKeys: fileHostKeyStore(path.join(cfg.server.dataDir, 'ssh', 'proxmox-host-keys.json'))
		});
	});
}
