// The owner's opt-in to inject the real Claude credential into tasks (the old way, without the broker),
// stored in Spyre (claude_settings). Off unless the owner turns it on on /settings/claude, where it shows
// as a warning: with it, every process in a task's environment can read the long-lived credential.

import { getDb, type Db } from '../../db';

export function injectCredentialEnabled(db: Db = getDb()): boolean {
	const row = db.prepare(`SELECT value FROM claude_settings WHERE key = 'inject_credential'`).get() as { value: string } | undefined;
	return row?.value === '1';
}

export function setInjectCredential(enabled: boolean, db: Db = getDb()): void {
	db.prepare(`INSERT INTO claude_settings (key, value) VALUES ('inject_credential', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(enabled ? '1' : '0');
}
