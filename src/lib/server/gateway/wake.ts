// A gateway connection to a stopped environment starts it (the environments layer's own start job, the
// same as the Start button, audited as the key's owner) and waits until it is reachable again; one
// already starting is waited for. Anything else that keeps it unreachable (destroying, missing, an error)
// is the reason the client is told.

import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditActor } from '../audit';
import { getConfig } from '../env-config';
import { startEnvironment } from '../environments/power';
import { requireReachable } from '../environments/reachable';
import { getEnvironment } from '../environments/repo';
import { SpyreError } from '../errors';
import { isBusy } from '../jobs';
import type { SshTarget } from '../ssh/types';

const WAIT_STATES = new Set(['pending', 'creating', 'starting', 'waiting_network', 'verifying_ssh', 'stopping']);
const POLL_MS = 500;

export async function reachOrStart(envId: string, actor: AuditActor, say: (line: string) => void, signal?: AbortSignal): Promise<SshTarget> {
	const cfg = getConfig().proxmox;
	const deadline = Date.now() + cfg.taskTimeoutMs + cfg.ipTimeoutMs;
	let told = false;
	for (;;) {
		const row = getEnvironment(envId);
		if (!row) throw new SpyreError('not_found', 'This environment no longer exists.');
		if (row.status !== 'stopped' && !WAIT_STATES.has(row.status)) return requireReachable(envId);
		if (row.status === 'stopped' && !isBusy(envId)) startEnvironment(envId, actor);
		if (!told) {
			say(`${row.hostname} is ${row.status === 'stopped' ? 'stopped; starting it' : row.status.replace('_', ' ')}… (this takes a moment)\r\n`);
			told = true;
		}
		if (Date.now() > deadline) throw new SpyreError('timeout', `${row.hostname} did not become reachable in time (it is ${row.status}).`);
		if (signal?.aborted) throw new SpyreError('conflict', 'The connection closed while the environment was starting.');
		await sleep(POLL_MS);
	}
}
