import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFirstAdmin, createSession, deleteSession, hashToken } from '../auth';
import { openDatabase, type Db } from '../db';
import { CODE_TTL_MS, checkCredential, issueCode, purgeExpiredCredentials, redeemCode, revokeForEnvironment, startCredentialRevocation } from './credentials';

let dir: string;
let db: Db;
let userId: number;
let stop: () => void;
const web = { environmentId: 'env-a', service: 'web', host: 'web--dev1.example.com' };
const api = { environmentId: 'env-b', service: 'api', host: 'api--dev2.example.com' };

beforeAll(async () => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-svc-cred-'));
	db = openDatabase(path.join(dir, 'spyre.db'));
	userId = (await createFirstAdmin('owner', 'a long enough password', db)).id;
	for (const [id, hostname] of [
		['env-a', 'dev1'],
		['env-b', 'dev2']
	]) {
		db.prepare("INSERT INTO environments (id, hostname, node, status, created_at, updated_at) VALUES (?, ?, 'pve', 'running', 1, 1)").run(id, hostname);
	}
	stop = startCredentialRevocation(db);
});

afterAll(() => {
	stop();
	db.close();
	fs.rmSync(dir, { recursive: true, force: true });
});

function owner() {
	const s = createSession(userId, {}, db);
	return { sessionHash: hashToken(s.token), userId, username: 'owner' };
}

function credentialFor(ref: typeof web, o = owner()) {
	const r = redeemCode(issueCode(ref, o, '/x'), ref.host, db)!;
	expect(r).not.toBeNull();
	return { token: r.token, owner: o, redeemed: r };
}

describe('handshake codes', () => {
	it('are one-time and bound to their host', () => {
		const o = owner();
		const code = issueCode(web, o, '/here');
		expect(redeemCode(code, api.host, db)).toBeNull();
		// A wrong host burns the code too: it cannot be retried elsewhere or here.
		expect(redeemCode(code, web.host, db)).toBeNull();
		const good = issueCode(web, o, '/here');
		const r = redeemCode(good, web.host, db)!;
		expect(r).toMatchObject({ environmentId: 'env-a', service: 'web', host: web.host, target: '/here', username: 'owner' });
		expect(redeemCode(good, web.host, db)).toBeNull();
		expect(redeemCode(null, web.host, db)).toBeNull();
	});

	it('expire after a minute', () => {
		vi.useFakeTimers({ now: Date.now() });
		try {
			const code = issueCode(web, owner(), '/');
			vi.setSystemTime(Date.now() + CODE_TTL_MS + 1);
			expect(redeemCode(code, web.host, db)).toBeNull();
		} finally {
			vi.useRealTimers();
		}
	});

	it('die with their session', () => {
		const o = owner();
		const code = issueCode(web, o, '/');
		deleteSession(o.sessionHash, db);
		expect(redeemCode(code, web.host, db)).toBeNull();
	});
});

describe('service credentials', () => {
	it('are stored hashed and count only on their own service host', () => {
		const { token } = credentialFor(web);
		const rows = db.prepare('SELECT token_hash FROM service_credentials').all() as Array<{ token_hash: string }>;
		expect(rows.some((r) => r.token_hash === hashToken(token))).toBe(true);
		expect(JSON.stringify(rows)).not.toContain(token);
		expect(checkCredential(token, web, db)).toEqual({ username: 'owner' });
		expect(checkCredential(token, api, db)).toBeNull();
		expect(checkCredential(token, { ...web, host: 'web--dev1.other.example' }, db)).toBeNull();
		expect(checkCredential(token, { ...web, environmentId: 'env-b' }, db)).toBeNull();
		expect(checkCredential('x'.repeat(43), web, db)).toBeNull();
		expect(checkCredential(`${token};`, web, db)).toBeNull();
		expect(checkCredential(undefined, web, db)).toBeNull();
	});

	it('are revoked when the session ends (sign-out)', () => {
		const { token, owner: o } = credentialFor(web);
		deleteSession(o.sessionHash, db);
		expect(checkCredential(token, web, db)).toBeNull();
		expect(db.prepare('SELECT COUNT(*) AS n FROM service_credentials WHERE session_hash = ?').get(o.sessionHash)).toEqual({ n: 0 });
	});

	it('are revoked when the environment is destroyed', () => {
		const { token } = credentialFor(api);
		revokeForEnvironment('env-b', db);
		expect(checkCredential(token, api, db)).toBeNull();
	});

	it('expire (at most 8 hours, never past the session) and are purged', () => {
		const { token, redeemed, owner: o } = credentialFor(web);
		const session = db.prepare('SELECT expires_at AS e FROM sessions WHERE token_hash = ?').get(o.sessionHash) as { e: number };
		expect(redeemed.expiresAt).toBeLessThanOrEqual(Math.min(Date.now() + 8 * 3600_000, session.e));
		db.prepare('UPDATE service_credentials SET expires_at = ? WHERE token_hash = ?').run(Date.now() - 1, hashToken(token));
		expect(checkCredential(token, web, db)).toBeNull();
		expect(purgeExpiredCredentials(db)).toBeGreaterThanOrEqual(1);
	});
});
