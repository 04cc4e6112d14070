// Every background service of the server process, in start-up order; shutdown stops them in reverse
// (registry.ts). The order is the dependency order: the database first and closed last; SSH connections
// and browser sockets close only after every running job is recorded `interrupted` (so what the work
// throws then is not taken for a failure), and after the services that use them have stopped.

import { isSetUp, purgeExpiredSessions } from '../auth';
import { startAuthAuditFlush, stopAuthAuditFlush } from '../auth/audit-flush';
import { startClaudeAuth, stopClaudeAuth } from '../claude/auth/health';
import { recoverTasks, stopFollowing } from '../claude/tasks';
import * as attempts from '../claude/attempts';
import { brokerProblem, startBroker, stopBroker } from '../claude/broker';
import { closeDb, getDb } from '../db';
import { reconcileAfterRestart } from '../environments';
import { messageOf } from '../errors';
import { startGateway, stopGateway } from '../gateway';
import { startNotifier, stopNotifier } from '../notify';
import { startSweeper, stopSweeper } from '../lifecycle';
import { interruptAll } from '../jobs';
import { startProxyManager, stopProxyManager } from '../proxy';
import { purgeExpiredCredentials, startCredentialRevocation } from '../service-auth';
import { announceSetupCode } from '../auth/setup-code';
import { closeSshPool, useHostKeyStore } from '../ssh';
import { dbHostKeyStore } from '../environments/host-keys';
import { startPoller, stopPoller } from '../environments/status-poller';
import { closeAllSockets } from '../ws';
import type { BackgroundService } from './registry';

export { serviceRegistry, type BackgroundService, type ServiceRegistry } from './registry';

const SWEEP_MS = 60 * 60 * 1000;

function expirySweep(): BackgroundService {
	let timer: NodeJS.Timeout | null = null;
	const sweep = () => (purgeExpiredSessions(), purgeExpiredCredentials());
	return {
		name: 'expired sessions and service credentials sweep',
		start: () => {
			sweep();
			timer = setInterval(() => {
				try {
					sweep();
				} catch (err) {
					console.error('[spyre] expiry sweep failed:', messageOf(err));
				}
			}, SWEEP_MS);
			timer.unref();
		},
		stop: () => {
			if (timer) clearInterval(timer);
			timer = null;
		}
	};
}

function credentialRevocation(): BackgroundService {
	let unsubscribe: (() => void) | null = null;
	return {
		name: 'service credential revocation',
		start: () => void (unsubscribe = startCredentialRevocation()),
		stop: () => unsubscribe?.()
	};
}

/** The services, fresh for each process start (a service keeps its own timer or handle). */
export function backgroundServices(): BackgroundService[] {
	// Attempt set recovery destroys clones a restart cut short: only once reconcile has settled their rows.
	let reconciled: Promise<void> = Promise.resolve();
	return [
		{ name: 'database', start: () => void getDb(), stop: closeDb },
		{ name: 'SSH pool', start: () => useHostKeyStore(dbHostKeyStore()), stop: closeSshPool },
		{ name: 'browser sockets', start: () => undefined, stop: closeAllSockets },
		{ name: 'jobs', start: () => undefined, stop: () => void interruptAll() },
		expirySweep(),
		credentialRevocation(),
		{ name: 'sign-in audit flush', start: startAuthAuditFlush, stop: stopAuthAuditFlush },
		{ name: 'setup code', start: () => (isSetUp() ? undefined : announceSetupCode()) },
		{
			// Runs a crash left `running` become interrupted; environments are resumed or given their true state.
			name: 'reconcile after restart',
			start: () => {
				reconciled = reconcileAfterRestart().catch((err) => console.error('[spyre] reconcile after restart failed:', messageOf(err)));
			}
		},
		{
			name: 'status poller',
			// SPYRE_POLL_MS=0 turns it off (tests that poll by hand); another number sets the interval.
			start: () => (process.env.SPYRE_POLL_MS === '0' ? undefined : startPoller(Number(process.env.SPYRE_POLL_MS) || undefined)),
			stop: stopPoller
		},
		// Idle stop and schedules: after the poller, so the statuses it reads are Proxmox's.
		{ name: 'idle and schedule sweeper', start: startSweeper, stop: stopSweeper },
		// Before task recovery, so a task that ended while Spyre was down is delivered to the webhook too.
		{ name: 'notification webhook', start: () => startNotifier(), stop: stopNotifier },
		// Claude tasks keep running in their environments while Spyre is down: follow them again.
		{ name: 'Claude task recovery', start: () => void recoverTasks(), stop: stopFollowing },
		// After task recovery: an attempt's task is followed again through the attachment that recovery made.
		{ name: 'attempt set recovery', start: () => void reconciled.then(() => attempts.recover()), stop: attempts.stopWatchingClones },
		{ name: 'Claude auth health check', start: startClaudeAuth, stop: stopClaudeAuth },
		{
			// Its own listener; a missing or unusable claude.broker is said now, not at the first task.
			name: 'Claude credential broker',
			start: async () => {
				const problem = brokerProblem();
				if (problem) return console.error(`[spyre] ${problem}`);
				console.log(`[spyre] Claude credential broker listening; environments use ${await startBroker()}`);
			},
			stop: () => stopBroker()
		},
		{
			// ssh.gateway: off unless set. After the SSH pool and the jobs (it relays over the one and starts
			// stopped environments through the other), so it stops before them.
			name: 'SSH gateway',
			start: async () => {
				const where = await startGateway();
				if (where) console.log(`[spyre] SSH gateway listening on ${where}`);
			},
			stop: stopGateway
		},
		// Service URLs through Caddy: re-apply routes from the services table, then health probes.
		{ name: 'Caddy proxy manager', start: startProxyManager, stop: stopProxyManager }
	];
}
