// The one gate before talking SSH to an environment: it must exist, have an address and be in a state
// where its sshd can answer. Routes, terminals and the provisioner ask here instead of reading the row
// themselves, so they all refuse the same way (a clear 404 or 409, never an SSH timeout to a stopped CT).

import { getDb, type Db } from '../db';
import { SpyreError } from '../errors';
import type { SshTarget } from '../ssh/types';
import { getEnvironment } from './repo';

// No sshd to talk to in these states; a person has to act (start it), so callers must not retry.
const NOT_RUNNING: Record<string, string> = {
	stopped: 'is stopped. Start it first.',
	stopping: 'is stopping.',
	destroying: 'is being destroyed.',
	missing: 'is missing: its container no longer exists on Proxmox.'
};

/** The SSH target of a reachable environment, or a SpyreError (not_found / conflict) saying why not. */
export function requireReachable(envId: string, db: Db = getDb()): SshTarget {
	const row = getEnvironment(envId, db);
	if (!row) throw new SpyreError('not_found', `Environment ${envId} does not exist.`);
	const why = NOT_RUNNING[row.status];
	if (why) throw new SpyreError('conflict', `Environment ${row.hostname} ${why}`);
	if (!row.ip) throw new SpyreError('conflict', `Environment ${row.hostname} has no IP address yet (status: ${row.status}).`);
	return { envId: row.id, host: row.ip };
}
