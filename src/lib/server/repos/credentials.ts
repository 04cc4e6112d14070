// Named repository credentials (`spec.repos[].credential`): an ssh deploy key (with optional known_hosts
// lines for the git server) or a username and token for HTTPS. The one owner of the table
// `repo_credentials`: checks what a person pastes, seals the secret with AES-256-GCM (crypto/aes-gcm, key in
// a 0600 file of the data dir), audits every change, and hands the secret only to the git runner
// (`secretOf`). Views never carry the secret; errors never quote it.

import path from 'node:path';
// ssh2 is CommonJS: Node's ESM loader finds `Client` among its named exports but not `utils`.
import ssh2 from 'ssh2';
import { aesGcm, loadKey } from '../crypto';
import { getDb, type Db } from '../db';
import { getConfig } from '../env-config';
import { SpyreError } from '../errors';
import { record, type AuditActor } from '../audit';
import { hostKeyFingerprint } from '../ssh/host-keys';
import { CREDENTIAL_KINDS, credentialNameProblem, type CredentialKind } from '$lib/shared/validation/git';
import type { RepoCredentialView } from '$lib/shared/types/repos';

export interface CredentialSecret {
	name: string;
	kind: CredentialKind;
	/** ssh_key: the OpenSSH private key (unencrypted), ending in a newline. token: the token. */
	secret: string;
	/** token: the HTTPS user name. */
	username: string | null;
	/** ssh_key: known_hosts lines for the git server, or null (accept-new). */
	knownHosts: string | null;
}

interface Row {
	name: string;
	kind: CredentialKind;
	username: string | null;
	public_key: string | null;
	fingerprint: string | null;
	known_hosts: string | null;
	iv: Buffer;
	tag: Buffer;
	data: Buffer;
	created_at: number;
	updated_at: number;
	last_used_at: number | null;
}

const MAX_KEY_BYTES = 16 * 1024;
const MAX_TOKEN = 4096;
const MAX_KNOWN_HOSTS_LINES = 50;
const KEY_TYPES = String.raw`(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)`;
/** One known_hosts line: optional marker, host patterns (or a hashed |1|… entry), key type, base64 key, comment. */
const KNOWN_HOSTS_LINE = new RegExp(String.raw`^(@cert-authority |@revoked )?[A-Za-z0-9.\-\[\]:,*?!|=+/_]{1,1024} ${KEY_TYPES} [A-Za-z0-9+/]{16,8192}={0,3}( [^\u0000-\u001f\u007f]{0,256})?$`);
const USERNAME_RE = /^[A-Za-z0-9._@+-]{1,128}$/;

/** Where the rows and the sealing key live: the process's database and data dir, or a spec's own. */
export interface CredentialStore {
	db: Db;
	keyFile: string;
}

function defaultStore(): CredentialStore {
	return { db: getDb(), keyFile: path.join(getConfig().server.dataDir, 'secrets', 'repo-credentials.key') };
}

const aad = (r: Pick<Row, 'name' | 'kind' | 'username' | 'public_key' | 'known_hosts' | 'updated_at'>) =>
	Buffer.from(JSON.stringify([r.name, r.kind, r.username, r.public_key, r.known_hosts, r.updated_at]));

const invalid = (field: string, message: string) => new SpyreError('validation', message, { fields: { [field]: message } });

function text(body: Record<string, unknown>, key: string): string {
	const v = body[key];
	return typeof v === 'string' ? v : '';
}

/** What a person pasted, checked: the parts to store, or a validation error naming the field. */
function checkInput(body: Record<string, unknown>): { kind: CredentialKind; secret: string; username: string | null; publicKey: string | null; fingerprint: string | null; knownHosts: string | null } {
	const kind = body.kind;
	if (typeof kind !== 'string' || !(CREDENTIAL_KINDS as readonly string[]).includes(kind)) throw invalid('kind', 'Choose a kind: ssh_key (a deploy key) or token (HTTPS).');
	if (kind === 'token') {
		const username = text(body, 'username').trim();
		const token = text(body, 'token').trim();
		if (!USERNAME_RE.test(username)) throw invalid('username', 'Enter the user name the git server expects with this token (letters, digits and . _ @ + -; e.g. git, oauth2, x-access-token).');
		if (token === '' || token.length > MAX_TOKEN || /[\u0000-\u0020\u007f]/.test(token)) throw invalid('token', `Paste the token: one line without spaces, at most ${MAX_TOKEN} characters.`);
		return { kind, secret: token, username, publicKey: null, fingerprint: null, knownHosts: null };
	}
	const pem = text(body, 'privateKey').replace(/\r\n/g, '\n').trim();
	if (pem === '') throw invalid('privateKey', 'Paste the private key (the whole -----BEGIN … PRIVATE KEY----- block).');
	if (Buffer.byteLength(pem) > MAX_KEY_BYTES) throw invalid('privateKey', `A private key is at most ${MAX_KEY_BYTES / 1024} KiB.`);
	const parsed = ssh2.utils.parseKey(pem);
	const key = Array.isArray(parsed) ? parsed[0] : parsed;
	if (key instanceof Error || !key) {
		const encrypted = key instanceof Error && /passphrase|encrypted/i.test(key.message);
		throw invalid('privateKey', encrypted ? 'This key is protected by a passphrase; Spyre needs one without (ssh-keygen -p -N "" -f KEY on a copy).' : 'That is not an OpenSSH or PEM private key.');
	}
	if (!key.isPrivateKey()) throw invalid('privateKey', 'That is a public key; paste the private half (the deploy key itself).');
	const blob = key.getPublicSSH();
	const knownHosts = checkKnownHosts(text(body, 'knownHosts'));
	return {
		kind: 'ssh_key',
		secret: `${pem}\n`,
		username: null,
		publicKey: `${key.type} ${blob.toString('base64')}`,
		fingerprint: hostKeyFingerprint(blob),
		knownHosts
	};
}

function checkKnownHosts(raw: string): string | null {
	const lines = raw
		.replace(/\r\n/g, '\n')
		.split('\n')
		.map((l) => l.trim())
		.filter((l) => l !== '' && !l.startsWith('#'));
	if (lines.length === 0) return null;
	if (lines.length > MAX_KNOWN_HOSTS_LINES) throw invalid('knownHosts', `At most ${MAX_KNOWN_HOSTS_LINES} known_hosts lines.`);
	const bad = lines.findIndex((l) => !KNOWN_HOSTS_LINE.test(l));
	if (bad >= 0) throw invalid('knownHosts', `Line ${bad + 1} is not a known_hosts line (host key-type base64-key), as ssh-keyscan prints them.`);
	return lines.join('\n');
}

function view(r: Row): RepoCredentialView {
	return {
		name: r.name,
		kind: r.kind,
		username: r.username,
		publicKey: r.public_key,
		fingerprint: r.fingerprint,
		knownHostsLines: r.known_hosts ? r.known_hosts.split('\n').length : 0,
		createdAt: r.created_at,
		updatedAt: r.updated_at,
		lastUsedAt: r.last_used_at
	};
}

const SELECT = 'SELECT name, kind, username, public_key, fingerprint, known_hosts, iv, tag, data, created_at, updated_at, last_used_at FROM repo_credentials';

function row(name: string, db: Db): Row | undefined {
	return db.prepare(`${SELECT} WHERE name = ?`).get(name) as Row | undefined;
}

export function listCredentials(store: CredentialStore = defaultStore()): RepoCredentialView[] {
	return (store.db.prepare(`${SELECT} ORDER BY name`).all() as Row[]).map(view);
}

export function credentialExists(name: string, store: CredentialStore = defaultStore()): boolean {
	return row(name, store.db) !== undefined;
}

export function credentialKind(name: string, store: CredentialStore = defaultStore()): CredentialKind | null {
	return row(name, store.db)?.kind ?? null;
}

function requireName(raw: unknown): string {
	const name = typeof raw === 'string' ? raw : '';
	const problem = credentialNameProblem(name);
	if (problem) throw invalid('name', problem);
	return name;
}

function write(name: string, input: ReturnType<typeof checkInput>, createdAt: number, store: CredentialStore): Row {
	const meta = { name, kind: input.kind, username: input.username, public_key: input.publicKey, known_hosts: input.knownHosts, updated_at: Date.now() };
	const sealed = aesGcm.seal(loadKey(store.keyFile, true)!, input.secret, aad(meta));
	store.db
		.prepare(
			`INSERT INTO repo_credentials (name, kind, username, public_key, fingerprint, known_hosts, iv, tag, data, created_at, updated_at, last_used_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
		 ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, username = excluded.username, public_key = excluded.public_key,
		   fingerprint = excluded.fingerprint, known_hosts = excluded.known_hosts, iv = excluded.iv, tag = excluded.tag, data = excluded.data,
		   updated_at = excluded.updated_at, last_used_at = NULL`
		)
		.run(name, input.kind, input.username, input.publicKey, input.fingerprint, input.knownHosts, sealed.iv, sealed.tag, sealed.data, createdAt, meta.updated_at);
	return row(name, store.db)!;
}

const describe = (r: Row) => (r.kind === 'ssh_key' ? `deploy key ${r.fingerprint}${r.known_hosts ? ' with known_hosts' : ''}` : `token for user ${r.username}`);

/** Add a credential: {name, kind, privateKey, knownHosts?} or {name, kind: 'token', username, token}. Audited. */
export function createCredential(body: Record<string, unknown>, actor: AuditActor, store: CredentialStore = defaultStore()): RepoCredentialView {
	const name = requireName(body.name);
	try {
		if (credentialExists(name, store)) throw invalid('name', `A credential named ${name} exists already; replace it instead.`);
		const r = write(name, checkInput(body), Date.now(), store);
		record(actor, 'repo_credential.create', name, 'success', describe(r), store.db);
		return view(r);
	} catch (err) {
		record(actor, 'repo_credential.create', name, 'failure', err instanceof SpyreError ? err.message : 'could not be stored', store.db);
		throw err;
	}
}

/** Replace the secret (and kind) of an existing credential. Audited. */
export function replaceCredential(rawName: string, body: Record<string, unknown>, actor: AuditActor, store: CredentialStore = defaultStore()): RepoCredentialView {
	const name = requireName(rawName);
	const old = row(name, store.db);
	if (!old) throw new SpyreError('not_found', `There is no credential named ${name}.`);
	try {
		const r = write(name, checkInput(body), old.created_at, store);
		record(actor, 'repo_credential.replace', name, 'success', describe(r), store.db);
		return view(r);
	} catch (err) {
		record(actor, 'repo_credential.replace', name, 'failure', err instanceof SpyreError ? err.message : 'could not be stored', store.db);
		throw err;
	}
}

/** Delete a credential. Configs that name it fail at their clone or push with a clear message. Audited. */
export function deleteCredential(rawName: string, actor: AuditActor, store: CredentialStore = defaultStore()): void {
	const name = requireName(rawName);
	const gone = store.db.prepare('DELETE FROM repo_credentials WHERE name = ?').run(name).changes;
	if (gone === 0) throw new SpyreError('not_found', `There is no credential named ${name}.`);
	record(actor, 'repo_credential.delete', name, 'success', null, store.db);
}

/**
 * The secret, for the git runner only (never a log line, an error or a response). Marks the credential
 * used. SpyreError not_found when it is not stored, `config` when it can no longer be opened.
 */
export function secretOf(name: string, store: CredentialStore = defaultStore()): CredentialSecret {
	const r = row(name, store.db);
	if (!r) throw new SpyreError('not_found', `The credential ${name} is not stored in Spyre: add it in Settings → Repositories, or fix the config's credential name.`);
	const key = loadKey(store.keyFile, false);
	let secret: string;
	try {
		if (!key) throw new Error('no key');
		secret = aesGcm.open(key, { iv: r.iv, tag: r.tag, data: r.data }, aad(r)).toString('utf8');
	} catch {
		throw new SpyreError('config', `The credential ${name} can no longer be opened (its key file changed or the row was altered); replace it in Settings → Repositories.`);
	}
	store.db.prepare('UPDATE repo_credentials SET last_used_at = ? WHERE name = ?').run(Date.now(), name);
	return { name, kind: r.kind, secret, username: r.username, knownHosts: r.known_hosts };
}
