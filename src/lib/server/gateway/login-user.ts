// Who a gateway session lands as in an environment: the first user of the config it was last provisioned
// from (`spec.provision.users[0]`, as the provisioner created it), else root. Read from the resolved
// config snapshotted on the newest provision run, and checked with the config format's POSIX-name rule
// before it goes near a shell.

import { parse } from 'yaml';
import { RE } from '../configs/rules';
import { getDb, type Db } from '../db';
import * as jobs from '../jobs';

export function loginUserOf(envId: string, db: Db = getDb()): string {
	const snapshot = jobs.latestConfigSnapshot(envId, db);
	if (snapshot === null) return 'root';
	try {
		const config = parse(snapshot) as { provision?: { users?: Array<{ name?: unknown }> } } | null;
		const name = config?.provision?.users?.[0]?.name;
		return typeof name === 'string' && RE.posixName.test(name) ? name : 'root';
	} catch {
		return 'root';
	}
}
