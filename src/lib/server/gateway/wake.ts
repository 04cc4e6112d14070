// A gateway connection to a stopped environment starts it through lifecycle's `wake` (the one start path
// of every entry point: the terminal, the gateway, a service URL), telling the client once on stderr.
// Anything that keeps it unreachable (destroying, missing, an error) is the reason the client is told.

import type { AuditActor } from '../audit';
import { getEnvironment } from '../environments/repo';
import { SpyreError } from '../errors';
import { wake, wakeable } from '../lifecycle';
import type { SshTarget } from '../ssh/types';

export async function reachOrStart(envId: string, actor: AuditActor, say: (line: string) => void): Promise<SshTarget> {
	const row = getEnvironment(envId);
	if (!row) throw new SpyreError('not_found', 'This environment no longer exists.');
	if (wakeable(row)) say(`${row.hostname} is ${row.status === 'stopped' ? 'stopped; starting it' : row.status.replace('_', ' ')}… (this takes a moment)\r\n`);
	return wake(envId, actor);
}
