// The credential store: what a person pastes is checked with a message at the field, the secret is sealed
// (not in the row in the clear, not in a view, not in the audit log), a row edited in the database does
// not open, and every change is audited.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db';
import { SpyreError } from '../errors';
import { createCredential, deleteCredential, listCredentials, replaceCredential, secretOf, type CredentialStore } from './credentials';

const actor = { userId: 1, username: 'owner', ip: '127.0.0.1' };
const TOKEN = 'ghp_SPEC0123456789abcdefSECRET';
let dir: string;
let store: CredentialStore;
let privateKey: string;
let encryptedKey: string;

function fieldOf(fn: () => unknown): string {
	try {
		fn();
	} catch (err) {
		expect(err).toBeInstanceOf(SpyreError);
		return Object.keys((err as SpyreError).fields ?? {})[0] ?? '';
	}
	throw new Error('expected a validation error');
}

beforeAll(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-repo-creds-'));
	execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'deploy', '-f', path.join(dir, 'k')]);
	execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'pass', '-C', 'locked', '-f', path.join(dir, 'locked')]);
	privateKey = fs.readFileSync(path.join(dir, 'k'), 'utf8');
	encryptedKey = fs.readFileSync(path.join(dir, 'locked'), 'utf8');
	const db: Db = openDatabase(path.join(dir, 'spyre.db'));
	store = { db, keyFile: path.join(dir, 'secrets', 'repo.key') };
});

afterAll(() => {
	store?.db.close();
	fs.rmSync(dir, { recursive: true, force: true });
});

const auditRows = () => store.db.prepare(`SELECT action, target, outcome, detail FROM audit_log WHERE action LIKE 'repo_credential.%' ORDER BY id`).all() as Array<Record<string, string | null>>;

describe('repo credentials', () => {
	it('refuses bad input at its field', () => {
		expect(fieldOf(() => createCredential({ name: 'Bad Name', kind: 'token', username: 'u', token: 't' }, actor, store))).toBe('name');
		expect(fieldOf(() => createCredential({ name: 'x', kind: 'password' }, actor, store))).toBe('kind');
		expect(fieldOf(() => createCredential({ name: 'x', kind: 'token', username: 'a b', token: 't' }, actor, store))).toBe('username');
		expect(fieldOf(() => createCredential({ name: 'x', kind: 'token', username: 'u', token: 'two words' }, actor, store))).toBe('token');
		expect(fieldOf(() => createCredential({ name: 'x', kind: 'ssh_key', privateKey: 'not a key' }, actor, store))).toBe('privateKey');
		expect(fieldOf(() => createCredential({ name: 'x', kind: 'ssh_key', privateKey: fs.readFileSync(path.join(dir, 'k.pub'), 'utf8') }, actor, store))).toBe('privateKey');
		expect(fieldOf(() => createCredential({ name: 'x', kind: 'ssh_key', privateKey: encryptedKey }, actor, store))).toBe('privateKey');
		expect(fieldOf(() => createCredential({ name: 'x', kind: 'ssh_key', privateKey, knownHosts: 'github.com; rm -rf /' }, actor, store))).toBe('knownHosts');
	});

	it('stores a deploy key and a token sealed, and shows only their public parts', () => {
		const key = createCredential(
			{ name: 'deploy', kind: 'ssh_key', privateKey, knownHosts: '# github\n[10.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvWkm0cXk3GQ5Ojz7wQcC0pQ1F0Zl2b5m2s0mJ9v8Xs\n' },
			actor,
			store
		);
		expect(key).toMatchObject({ name: 'deploy', kind: 'ssh_key', knownHostsLines: 1, lastUsedAt: null });
		expect(key.publicKey).toBe(fs.readFileSync(path.join(dir, 'k.pub'), 'utf8').split(' ').slice(0, 2).join(' '));
		expect(key.fingerprint).toMatch(/^SHA256:/);
		const tok = createCredential({ name: 'bot', kind: 'token', username: 'spyre', token: TOKEN }, actor, store);
		expect(tok).toMatchObject({ kind: 'token', username: 'spyre', publicKey: null });

		const everything = JSON.stringify(listCredentials(store)) + JSON.stringify(auditRows());
		expect(everything).not.toContain(TOKEN);
		expect(everything).not.toContain(privateKey.split('\n')[1]);
		const raw = Buffer.concat((store.db.prepare('SELECT data FROM repo_credentials').all() as Array<{ data: Buffer }>).map((r) => r.data)).toString('latin1');
		expect(raw).not.toContain(TOKEN);
		expect(fs.statSync(store.keyFile).mode & 0o777).toBe(0o600);

		expect(secretOf('bot', store)).toMatchObject({ kind: 'token', secret: TOKEN, username: 'spyre' });
		expect(secretOf('deploy', store).secret.trim()).toBe(privateKey.trim());
		expect(listCredentials(store).find((c) => c.name === 'bot')!.lastUsedAt).not.toBeNull();
	});

	it('a name is taken once; replace keeps it and clears last used; delete removes it', () => {
		expect(fieldOf(() => createCredential({ name: 'bot', kind: 'token', username: 'u', token: 'x' }, actor, store))).toBe('name');
		replaceCredential('bot', { kind: 'token', username: 'other', token: 'new-token' }, actor, store);
		expect(secretOf('bot', store).secret).toBe('new-token');
		deleteCredential('bot', actor, store);
		expect(() => secretOf('bot', store)).toThrow(/not stored in Spyre/);
		expect(() => deleteCredential('bot', actor, store)).toThrow(/no credential named bot/);
		expect(auditRows().map((r) => `${r.action} ${r.target} ${r.outcome}`)).toEqual(
			expect.arrayContaining(['repo_credential.create deploy success', 'repo_credential.create bot success', 'repo_credential.replace bot success', 'repo_credential.delete bot success'])
		);
	});

	it('a row edited in the database does not open', () => {
		store.db.prepare(`UPDATE repo_credentials SET known_hosts = 'evil.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvWkm0cXk3GQ5Ojz7wQcC0pQ1F0Zl2b5m2s0mJ9v8Xs' WHERE name = 'deploy'`).run();
		expect(() => secretOf('deploy', store)).toThrow(/can no longer be opened/);
	});
});
