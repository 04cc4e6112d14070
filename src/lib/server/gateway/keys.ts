// The public keys owners add in Settings to sign in to the SSH gateway: parse and validate one (the shared
// OpenSSH-line rule of configs/rules.ts, then ssh2's own key parser, so what is stored is what the gateway
// can verify against), refuse duplicates, list, remove, and find the key a client offers. Every change is
// audited here. A removed key is refused at once: authentication reads this table on every attempt, and
// `onKeyRemoved` listeners (the gateway) close the sessions it opened.

import crypto from 'node:crypto';
import ssh2, { type ParsedKey } from 'ssh2';
import * as audit from '../audit';
import { RE } from '../configs/rules';
import { getDb, type Db } from '../db';
import { SpyreError } from '../errors';

export interface GatewayKey {
	id: number;
	userId: number;
	name: string;
	/** "type base64", no comment. */
	publicKey: string;
	/** OpenSSH's form: SHA256:<base64 without padding>. */
	fingerprint: string;
	addedAt: number;
	lastUsedAt: number | null;
}

const MAX_NAME = 64;
const removedListeners = new Set<(key: GatewayKey) => void>();

/** OpenSSH's SHA-256 fingerprint of a public key blob (what `ssh-keygen -l` prints). */
export function fingerprintOf(blob: Buffer): string {
	return 'SHA256:' + crypto.createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

function nameProblem(name: string): string | null {
	if (name.length < 1 || [...name].length > MAX_NAME) return `A key name has 1 to ${MAX_NAME} characters.`;
	if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name)) return 'A key name cannot contain control characters.';
	return null;
}

/** Parse one pasted OpenSSH public key line; a SpyreError `validation` with a `key` field otherwise. */
export function parsePublicKey(text: string): { publicKey: string; fingerprint: string; type: string } {
	const line = text.trim();
	const bad = (message: string) => new SpyreError('validation', message, { fields: { key: message } });
	if (line.includes('PRIVATE KEY')) throw bad('That is a private key. Paste the public key (the .pub file), and keep the private one to yourself.');
	if (!RE.sshKey.test(line)) throw bad('Paste one OpenSSH public key line: type, base64 key, optional comment (the contents of ~/.ssh/id_ed25519.pub, for example).');
	const parsed = ssh2.utils.parseKey(line);
	if (parsed instanceof Error || Array.isArray(parsed)) throw bad('That key could not be read: its base64 part is damaged or does not match its type.');
	const key = parsed as ParsedKey;
	if (key.isPrivateKey()) throw bad('That is a private key. Paste the public key instead.');
	const blob = key.getPublicSSH();
	return { publicKey: `${key.type} ${blob.toString('base64')}`, fingerprint: fingerprintOf(blob), type: key.type };
}

const COLUMNS = 'id, user_id AS userId, name, public_key AS publicKey, fingerprint, added_at AS addedAt, last_used_at AS lastUsedAt';

export function list(userId: number, db: Db = getDb()): GatewayKey[] {
	return db.prepare(`SELECT ${COLUMNS} FROM gateway_keys WHERE user_id = ? ORDER BY added_at, id`).all(userId) as GatewayKey[];
}

export function add(actor: audit.AuditActor & { userId: number }, input: { name: string; key: string }, db: Db = getDb()): GatewayKey {
	const name = input.name.trim();
	const problem = nameProblem(name);
	try {
		if (problem) throw new SpyreError('validation', problem, { fields: { name: problem } });
		const { publicKey, fingerprint } = parsePublicKey(input.key);
		const existing = db.prepare('SELECT user_id AS userId, name FROM gateway_keys WHERE fingerprint = ?').get(fingerprint) as { userId: number; name: string } | undefined;
		if (existing) {
			// Whose key it is stays unsaid when it is someone else's.
			const message = existing.userId === actor.userId ? `This key is already added, as "${existing.name}".` : 'This key is already in use for the gateway.';
			throw new SpyreError('conflict', message, { fields: { key: message } });
		}
		const now = Date.now();
		const id = Number(
			db.prepare('INSERT INTO gateway_keys (user_id, name, public_key, fingerprint, added_at) VALUES (?, ?, ?, ?, ?)').run(actor.userId, name, publicKey, fingerprint, now).lastInsertRowid
		);
		audit.record(actor, 'gateway.key_add', name, 'success', fingerprint, db);
		return { id, userId: actor.userId, name, publicKey, fingerprint, addedAt: now, lastUsedAt: null };
	} catch (err) {
		audit.record(actor, 'gateway.key_add', name || null, 'failure', err instanceof Error ? err.message : String(err), db);
		throw err;
	}
}

/** Remove one of the user's keys; sessions it opened are told through `onKeyRemoved`. */
export function remove(actor: audit.AuditActor & { userId: number }, id: number, db: Db = getDb()): GatewayKey {
	const row = db.prepare(`SELECT ${COLUMNS} FROM gateway_keys WHERE id = ? AND user_id = ?`).get(id, actor.userId) as GatewayKey | undefined;
	if (!row) {
		audit.record(actor, 'gateway.key_remove', String(id), 'failure', 'no such key', db);
		throw new SpyreError('not_found', 'That key does not exist (it may have been removed already).');
	}
	db.prepare('DELETE FROM gateway_keys WHERE id = ?').run(id);
	audit.record(actor, 'gateway.key_remove', row.name, 'success', row.fingerprint, db);
	for (const listener of removedListeners) listener(row);
	return row;
}

/** The stored key with this public blob, if any (read on every authentication attempt). */
export function findByBlob(blob: Buffer, db: Db = getDb()): GatewayKey | null {
	return (db.prepare(`SELECT ${COLUMNS} FROM gateway_keys WHERE fingerprint = ?`).get(fingerprintOf(blob)) as GatewayKey | undefined) ?? null;
}

export function touch(id: number, db: Db = getDb()): void {
	db.prepare('UPDATE gateway_keys SET last_used_at = ? WHERE id = ?').run(Date.now(), id);
}

/** Hear about removed keys (the gateway closes their sessions). Returns the unsubscribe. */
export function onKeyRemoved(listener: (key: GatewayKey) => void): () => void {
	removedListeners.add(listener);
	return () => removedListeners.delete(listener);
}
