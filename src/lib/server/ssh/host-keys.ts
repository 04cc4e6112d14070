// Host-key pinning: the fingerprint format, the error a changed key raises, a store in memory (tests,
// benches) and a handshake-only probe of the key a server presents. Where the server's own pins live (the
// environments table) ssh/ does not know: start-up hands the pool that store (environments/host-keys.ts).
// Trust on first use; after that a different key is refused until a person re-trusts it by its
// fingerprint. The probe never authenticates, so no credential is offered to a host we do not trust.
// Never logs key material.

import { createHash } from 'node:crypto';
import { Client } from 'ssh2';
import { SpyreError } from '../errors';
import type { HostKeyStore, SshTarget } from './types';

/** SHA-256 of the raw host key blob, as OpenSSH prints it: `SHA256:` + unpadded base64. */
export function hostKeyFingerprint(key: Buffer): string {
	return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** Validate a fingerprint typed or pasted by a person (surrounding spaces are forgiven). */
export function parseFingerprint(value: unknown): string {
	const text = typeof value === 'string' ? value.trim() : '';
	if (!FINGERPRINT.test(text)) {
		throw new SpyreError('validation', 'Give the host key fingerprint as OpenSSH prints it: SHA256: followed by 43 characters.', {
			fields: { fingerprint: 'Expected SHA256:… (43 characters of base64).' }
		});
	}
	return text;
}

/** The key a server presents differs from the pinned one. `fields.fingerprint` carries the new key. */
export class HostKeyChangedError extends SpyreError {
	readonly pinned: string;
	readonly presented: string;
	constructor(envId: string, host: string, pinned: string, presented: string) {
		super(
			'ssh_host_key',
			`WARNING: the SSH host key of environment ${envId} (${host}) has changed. ` +
				`Someone could be impersonating it. Expected ${pinned}, got ${presented}. ` +
				`If the container was rebuilt, re-trust its host key in Spyre; otherwise investigate before connecting.`,
			{ fields: { fingerprint: presented } }
		);
		this.pinned = pinned;
		this.presented = presented;
	}
}

export function memoryHostKeyStore(initial: Record<string, string> = {}): HostKeyStore {
	const map = new Map(Object.entries(initial));
	return {
		get: (envId) => map.get(envId) ?? null,
		pin: (envId, fp) => {
			if (!map.has(envId)) map.set(envId, fp);
		},
		set: (envId, fp) => void map.set(envId, fp),
		clear: (envId) => void map.delete(envId)
	};
}

/**
 * Connect far enough to see the server's host key, then hang up: the verifier refuses every key, so the
 * handshake stops before authentication.
 */
export function probeHostKey(target: SshTarget, port: number, timeoutMs: number): Promise<string> {
	return new Promise((resolve, reject) => {
		const client = new Client();
		let presented: string | null = null;
		let settled = false;
		const done = (err: SpyreError | null) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			client.removeAllListeners('ready');
			client.destroy();
			if (presented) resolve(presented);
			else reject(err ?? new SpyreError('ssh', `${target.host}:${port} closed the connection before showing a host key.`));
		};
		const timer = setTimeout(() => done(new SpyreError('timeout', `No SSH answer from ${target.host}:${port} within ${timeoutMs} ms.`)), timeoutMs);
		client.on('error', (err: Error & { code?: string }) => {
			const refused = err.code === 'ECONNREFUSED' ? ' (refused: is sshd running in the environment?)' : '';
			done(new SpyreError('ssh', `Cannot read the SSH host key of ${target.host}:${port}${refused}: ${err.message}`, { cause: err }));
		});
		client.on('close', () => done(null));
		client.on('ready', () => done(null));
		try {
			client.connect({
				host: target.host,
				port,
				username: 'spyre-host-key-probe',
				readyTimeout: timeoutMs,
				hostVerifier: (key: Buffer) => {
					presented = hostKeyFingerprint(key);
					return false;
				}
			});
		} catch (err) {
			done(new SpyreError('ssh', `Cannot connect to ${target.host}:${port}.`, { cause: err }));
		}
	});
}
