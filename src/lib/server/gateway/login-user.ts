// Who a gateway session lands as in an environment: the first user of the config it was last provisioned
// from (`spec.provision.users[0]`, as the provisioner created it), else root. Read from the resolved
// config snapshotted on the newest provision run, and checked with the config format's POSIX-name rule
// before it goes near a shell.

import { parse } from 'yaml';
import { RE } from '../configs/rules';
import { getDb, type Db } from '../db';

export function loginUserOf(envId: string, db: Db = getDb()): string {
	const row = db.prepare(`SELECT config_snapshot AS snapshot FROM provision_runs WHERE environment_id = ? AND config_snapshot IS NOT NULL ORDER BY id DESC LIMIT 1`).get(envId) as
		{ snapshot: string } | undefined;
	if (!row) return 'root';
	try {
		const config = parse(row.snapshot) as { provision?: { users?: Array<{ name?: unknown }> } } | null;
		const name = config?.provision?.users?.[0]?.name;
		return typeof name === 'string' && RE.posixName.test(name) ? name : 'root';
	} catch {
		return 'root';
	}
}
