import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../db';
import { injectCredentialEnabled, setInjectCredential } from './inject-setting';

let dir: string;
let db: Db;

beforeEach(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-inject-spec-'));
	db = openDatabase(path.join(dir, 'spyre.db'));
});

afterEach(() => {
	db.close();
	fs.rmSync(dir, { recursive: true, force: true });
});

describe('the inject-credential opt-in', () => {
	it('is off until the owner turns it on, and stays as set', () => {
		expect(injectCredentialEnabled(db)).toBe(false);
		setInjectCredential(true, db);
		expect(injectCredentialEnabled(db)).toBe(true);
		setInjectCredential(false, db);
		expect(injectCredentialEnabled(db)).toBe(false);
	});

	it('the table holds only known settings', () => {
		expect(() => db.prepare(`INSERT INTO claude_settings (key, value) VALUES ('something_else', '1')`).run()).toThrow(/CHECK/);
	});
});
