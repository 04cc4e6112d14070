import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as store from './store';

const TOKEN = 'sk-ant-oat01-secret-value-that-must-not-appear-on-disk';
const dirs: string[] = [];
function tmp(): string {
	const d = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-auth-store-'));
	dirs.push(d);
	return d;
}
afterEach(() => {
	for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('claude auth store', () => {
	it('round-trips a credential encrypted, with a 0600 key', () => {
		const dir = tmp();
		store.save(dir, { method: 'setup_token', kind: 'oauth_token', value: TOKEN, expiresAt: 123 });
		expect(store.readSecret(dir)).toEqual({ kind: 'oauth_token', value: TOKEN });
		expect(store.loadMeta(dir)).toMatchObject({ method: 'setup_token', expiresAt: 123, health: null });
		const files = fs.readdirSync(store.storeDir(dir));
		for (const f of files) {
			const p = path.join(store.storeDir(dir), f);
			expect(fs.statSync(p).mode & 0o777).toBe(0o600);
			expect(fs.readFileSync(p).includes(TOKEN)).toBe(false);
			expect(fs.readFileSync(p, 'latin1')).not.toContain('secret-value');
		}
	});

	it('refuses a truncated authentication tag (GCM without authTagLength accepts 4 bytes)', () => {
		const dir = tmp();
		store.save(dir, { method: 'setup_token', kind: 'oauth_token', value: TOKEN, expiresAt: 123 });
		const file = path.join(store.storeDir(dir), 'credential.json');
		const f = JSON.parse(fs.readFileSync(file, 'utf8'));
		fs.writeFileSync(file, JSON.stringify({ ...f, tag: Buffer.from(f.tag, 'base64').subarray(0, 4).toString('base64') }));
		expect(store.readSecret(dir)).toBeNull();
	});

	it('refuses a file whose metadata was edited (bound as associated data)', () => {
		const dir = tmp();
		store.save(dir, { method: 'setup_token', kind: 'oauth_token', value: TOKEN, expiresAt: 123 });
		const file = path.join(store.storeDir(dir), 'credential.json');
		const f = JSON.parse(fs.readFileSync(file, 'utf8'));
		fs.writeFileSync(file, JSON.stringify({ ...f, expiresAt: 999 }));
		expect(store.readSecret(dir)).toBeNull();
	});

	it('keeps health beside the secret and forgets it all', () => {
		const dir = tmp();
		store.save(dir, { method: 'api_key', kind: 'api_key', value: 'sk-ant-api03-xxxxxxxxxxxxxxxxxxxx', expiresAt: null });
		store.setHealth(dir, { state: 'failed', error: 'revoked', at: 1 });
		expect(store.loadMeta(dir)?.health?.state).toBe('failed');
		expect(store.readSecret(dir)?.kind).toBe('api_key');
		store.forget(dir);
		expect(store.loadMeta(dir)).toBeNull();
		expect(store.readSecret(dir)).toBeNull();
	});
});
