// SSH to environments, used as a namespace of verbs: `import * as ssh from '$lib/server/ssh'`, then
// `ssh.exec(target, cmd)`, `ssh.execStream(...)`, `ssh.writeFile(...)`. The verbs run on one process-wide
// pool configured from environment.yaml; it pins host keys in the store start-up hands it
// (`useHostKeyStore`: the environments table, environments/host-keys.ts), so ssh/ imports nothing of
// environments/. Tests and benchmarks build their own pool with `createSshPool`. Targets come from
// `environments/reachable.ts` (`requireReachable(envId)`).

import fs from 'node:fs';
import { getConfig } from '../env-config';
import { forgetSingleton, singleton } from '../singleton';
import { createSshPool } from './pool';
import type { ExecOptions, ExecStreamOptions, HostKeyStore, PtyOptions, RawChannelRequest, ReadFileOptions, SshPool, SshTarget, WriteFileOptions } from './types';

export type * from './types';
export { createSshPool } from './pool';
export { HostKeyChangedError, hostKeyFingerprint, memoryHostKeyStore, parseFingerprint } from './host-keys';

const hostKeys = singleton('ssh.hostKeyStore', () => ({ store: null as HostKeyStore | null }));

/** Start-up: where the process-wide pool keeps its pins. Before this, the pool refuses to exist. */
export function useHostKeyStore(store: HostKeyStore): void {
	hostKeys.store = store;
}

/** The process-wide pool. */
export function getSshPool(): SshPool {
	return singleton('ssh-pool', () => {
		// No default store: a pool with nowhere to keep its pins would trust every host key anew.
		if (!hostKeys.store) throw new Error('The SSH pool was used before start-up handed it a host-key store (useHostKeyStore).');
		const store = hostKeys.store;
		const cfg = getConfig().ssh;
		return createSshPool({
			privateKey: fs.readFileSync(cfg.privateKeyPath),
			user: cfg.user,
			port: cfg.port,
			connectTimeoutMs: cfg.connectTimeoutMs,
			keepaliveIntervalMs: cfg.keepaliveIntervalMs,
			keepaliveCountMax: cfg.keepaliveCountMax,
			idleCloseMs: cfg.idleCloseMs,
			hostKeys: store
		});
	});
}

/** SIGTERM drain: close every connection and forget the pool. */
export async function closeSshPool(): Promise<void> {
	const pool = forgetSingleton<SshPool>('ssh-pool');
	await pool?.closeAll();
}

// Verbs on the process-wide pool, so call sites read `ssh.exec(target, cmd)`.
export const getConnection = (target: SshTarget) => getSshPool().getConnection(target);
export const exec = (target: SshTarget, cmd: string, opts?: ExecOptions) => getSshPool().exec(target, cmd, opts);
export const execStream = (target: SshTarget, cmd: string, opts?: ExecStreamOptions) => getSshPool().execStream(target, cmd, opts);
export const openPty = (target: SshTarget, cmd: string, opts: PtyOptions) => getSshPool().openPty(target, cmd, opts);
export const openShell = (target: SshTarget, opts: PtyOptions) => getSshPool().openShell(target, opts);
export const openRaw = (target: SshTarget, request: RawChannelRequest) => getSshPool().openRaw(target, request);
export const writeFile = (target: SshTarget, path: string, content: string | Buffer, opts?: WriteFileOptions) => getSshPool().writeFile(target, path, content, opts);
export const readFile = (target: SshTarget, path: string, opts?: ReadFileOptions) => getSshPool().readFile(target, path, opts);
export const verifySsh = (target: SshTarget) => getSshPool().verifySsh(target);
export const presentedHostKey = (target: SshTarget) => getSshPool().presentedHostKey(target);
export const trustHostKey = (target: SshTarget, fingerprint: string) => getSshPool().trustHostKey(target, fingerprint);
export const forgetHostKey = (envId: string) => getSshPool().forgetHostKey(envId);
export const closeAll = () => closeSshPool();
export const stats = () => getSshPool().stats();
