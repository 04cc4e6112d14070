import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db';
import * as keys from './keys';

let dir: string;
let db: Db;
let pub: string;
let opensshFingerprint: string;
const actor = { userId: 1, username: 'owner', ip: '127.0.0.1' };

beforeAll(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-gwkeys-'));
	db = openDatabase(path.join(dir, 'spyre.db'));
	db.prepare(`INSERT INTO users (id, username, password_hash, created_at) VALUES (1, 'owner', 'x', 0), (2, 'other', 'x', 0)`).run();
	execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'me@laptop', '-f', path.join(dir, 'k')]);
	pub = fs.readFileSync(path.join(dir, 'k.pub'), 'utf8');
	opensshFingerprint = execFileSync('ssh-keygen', ['-l', '-f', path.join(dir, 'k.pub')], { encoding: 'utf8' }).split(' ')[1];
});

afterAll(() => {
	db.close();
	fs.rmSync(dir, { recursive: true, force: true });
});

describe('gateway keys', () => {
	it('parses a public key line with the fingerprint OpenSSH prints', () => {
		expect(keys.parsePublicKey(`  ${pub}  `)).toMatchObject({ fingerprint: opensshFingerprint, type: 'ssh-ed25519' });
	});

	it.each([
		['', /one OpenSSH public key line/],
		['ssh-ed25519', /one OpenSSH public key line/],
		['ssh-ed25519 AAAAnotakey', /could not be read/],
		['-----BEGIN OPENSSH PRIVATE KEY-----\nabc', /private key/],
		['ssh-ed25519 AAAA\nssh-rsa BBBB', /one OpenSSH public key line/]
	])('refuses %j', (text, message) => {
		expect(() => keys.parsePublicKey(text)).toThrowError(message);
	});

	it('adds, refuses a duplicate (even for another user), lists, removes, and audits each change', () => {
		const heard: string[] = [];
		const off = keys.onKeyRemoved((k) => heard.push(k.name));
		const added = keys.add(actor, { name: ' laptop ', key: pub }, db);
		expect(added).toMatchObject({ name: 'laptop', fingerprint: opensshFingerprint });
		expect(() => keys.add(actor, { name: 'again', key: pub }, db)).toThrowError(/already added, as "laptop"/);
		expect(() => keys.add({ ...actor, userId: 2 }, { name: 'mine', key: pub }, db)).toThrowError(/already in use/);
		expect(() => keys.add(actor, { name: '', key: pub }, db)).toThrowError(/1 to 64/);
		expect(keys.list(1, db).map((k) => k.name)).toEqual(['laptop']);
		expect(keys.list(2, db)).toEqual([]);
		expect(() => keys.remove({ ...actor, userId: 2 }, added.id, db)).toThrowError(/does not exist/);
		keys.remove(actor, added.id, db);
		expect(heard).toEqual(['laptop']);
		expect(keys.list(1, db)).toEqual([]);
		off();
		const rows = db.prepare(`SELECT action, outcome FROM audit_log WHERE action LIKE 'gateway.%' ORDER BY id`).all();
		expect(rows).toEqual([
			{ action: 'gateway.key_add', outcome: 'success' },
			{ action: 'gateway.key_add', outcome: 'failure' },
			{ action: 'gateway.key_add', outcome: 'failure' },
			{ action: 'gateway.key_add', outcome: 'failure' },
			{ action: 'gateway.key_remove', outcome: 'failure' },
			{ action: 'gateway.key_remove', outcome: 'success' }
		]);
	});
});
