// Wake: the one way an entry point (the terminal socket, the gateway, a service URL) brings a stopped
// environment back: the environments' own start job (audited as the person who came back), then wait until
// SSH works at its verified address. Concurrent wakes of one environment share one start.

import type { AuditActor } from '../audit';
import { SpyreError } from '../errors';
import { getEnvironment, type EnvironmentRow } from '../environments/repo';
import { requireReachable } from '../environments/reachable';
import { startEnvironment } from '../environments/power';
import * as jobs from '../jobs';
import { singleton } from '../singleton';
import type { SshTarget } from '../ssh/types';

const inFlight = singleton('lifecycle.wakes', () => new Map<string, Promise<SshTarget>>());

// A start job may be under way (someone pressed Start, a scheduled start): wake waits for it too.
const STARTING = new Set(['stopped', 'stopping', 'starting', 'waiting_network', 'verifying_ssh']);

/** Whether an entry point has to wake it first (and say "starting…"): it has a CT that is not running. */
export function wakeable(row: Pick<EnvironmentRow, 'status' | 'vmid'>): boolean {
	return row.vmid !== null && STARTING.has(row.status);
}

/** Start the environment when it is stopped and resolve with its SSH target once it is reachable. */
export function wake(envId: string, actor: AuditActor): Promise<SshTarget> {
	const running = inFlight.get(envId);
	if (running) return running;
	const p = bringBack(envId, actor).finally(() => inFlight.delete(envId));
	inFlight.set(envId, p);
	return p;
}

async function bringBack(envId: string, actor: AuditActor): Promise<SshTarget> {
	// A stop under way (an idle stop racing the person coming back) ends first, then this starts it again.
	for (let round = 0; round < 3; round++) {
		await jobs.settled(envId);
		const row = getEnvironment(envId);
		if (!row) throw new SpyreError('not_found', `Environment ${envId} does not exist.`);
		if (row.status === 'running') return requireReachable(envId);
		if (row.status !== 'stopped') {
			throw new SpyreError('conflict', `Environment ${row.hostname} is ${row.status}${row.error ? `: ${row.error}` : ''}; it cannot be started from here.`);
		}
		if (jobs.isBusy(envId)) continue;
		startEnvironment(envId, actor);
		await jobs.settled(envId);
		const after = getEnvironment(envId);
		if (after?.status === 'running') return requireReachable(envId);
		if (after && after.status !== 'stopped') throw new SpyreError('conflict', `Environment ${after.hostname} could not be started${after.error ? `: ${after.error}` : '.'}`);
	}
	throw new SpyreError('conflict', `Environment ${envId} did not stay started; try again.`);
}
