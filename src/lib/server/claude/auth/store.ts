// The one owner of Claude Code's credential on the Spyre host: a long-lived OAuth token (setup-token),
// the access token of a full login, or an API key, encrypted at rest with AES-256-GCM. The key is a
// random 32 bytes in a 0600 file beside it. Metadata is stored in the clear; method, kind, expiry and the
// time saved are bound to the ciphertext as associated data so they cannot be swapped (health is not: it
// changes with every check). Never logs or returns the secret
// except through readSecret(), which only server code that injects it into a task may call. A full
// login's refresh token stays in the CLI's own credentials file and is never copied here.

import fs from 'node:fs';
import path from 'node:path';
import type { ClaudeAuthMethod } from '$lib/shared/types/claude-auth';
import { aesGcm, loadKey } from '../../crypto';

export type CredentialKind = 'oauth_token' | 'api_key';

export interface CredentialMeta {
	method: ClaudeAuthMethod;
	kind: CredentialKind;
	expiresAt: number | null;
	savedAt: number;
	/** Set when a health check or a task found the credential no longer works. */
	health: { state: 'failed' | 'expired'; error: string; at: number } | null;
}

interface StoredFile extends CredentialMeta {
	v: 1;
	iv: string;
	tag: string;
	data: string;
}

export function storeDir(dataDir: string): string {
	return path.join(dataDir, 'claude-auth');
}
const keyFile = (dataDir: string) => path.join(storeDir(dataDir), 'credential.key');
const credFile = (dataDir: string) => path.join(storeDir(dataDir), 'credential.json');

function ensureDir(dataDir: string): void {
	fs.mkdirSync(storeDir(dataDir), { recursive: true, mode: 0o700 });
	fs.chmodSync(storeDir(dataDir), 0o700);
}

function writeAtomic(file: string, content: string | Buffer): void {
	const tmp = `${file}.${process.pid}.tmp`;
	fs.writeFileSync(tmp, content, { mode: 0o600 });
	fs.renameSync(tmp, file);
}

function key(dataDir: string, create: boolean): Buffer | null {
	if (create) ensureDir(dataDir);
	return loadKey(keyFile(dataDir), create);
}

const aad = (m: CredentialMeta) => Buffer.from(JSON.stringify([m.method, m.kind, m.expiresAt, m.savedAt]));

function readFile(dataDir: string): StoredFile | null {
	let text: string;
	try {
		text = fs.readFileSync(credFile(dataDir), 'utf8');
	} catch {
		return null;
	}
	try {
		const f = JSON.parse(text) as StoredFile;
		return f.v === 1 ? f : null;
	} catch {
		return null;
	}
}

export function loadMeta(dataDir: string): CredentialMeta | null {
	const f = readFile(dataDir);
	if (!f) return null;
	return { method: f.method, kind: f.kind, expiresAt: f.expiresAt, savedAt: f.savedAt, health: f.health ?? null };
}

export function save(dataDir: string, input: { method: ClaudeAuthMethod; kind: CredentialKind; value: string; expiresAt: number | null }): CredentialMeta {
	const k = key(dataDir, true)!;
	const meta: CredentialMeta = { method: input.method, kind: input.kind, expiresAt: input.expiresAt, savedAt: Date.now(), health: null };
	const { iv, tag, data } = aesGcm.seal(k, input.value, aad(meta));
	const file: StoredFile = { v: 1, ...meta, iv: iv.toString('base64'), tag: tag.toString('base64'), data: data.toString('base64') };
	ensureDir(dataDir);
	writeAtomic(credFile(dataDir), JSON.stringify(file));
	return meta;
}

/** The secret, decrypted. Server-only; the caller must not log it or send it to a browser. */
export function readSecret(dataDir: string): { kind: CredentialKind; value: string } | null {
	const f = readFile(dataDir);
	if (!f) return null;
	const k = key(dataDir, false);
	if (!k) return null;
	try {
		const sealed = { iv: Buffer.from(f.iv, 'base64'), tag: Buffer.from(f.tag, 'base64'), data: Buffer.from(f.data, 'base64') };
		const value = aesGcm.open(k, sealed, aad(f)).toString('utf8');
		return { kind: f.kind, value };
	} catch {
		// A wrong key or a tampered file: treat as no credential rather than leak details.
		return null;
	}
}

export function setHealth(dataDir: string, health: CredentialMeta['health']): void {
	const f = readFile(dataDir);
	if (!f) return;
	writeAtomic(credFile(dataDir), JSON.stringify({ ...f, health }));
}

export function forget(dataDir: string): void {
	fs.rmSync(credFile(dataDir), { force: true });
}
