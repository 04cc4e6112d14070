// Process start-up and shutdown. `start()` runs once from hooks.server.ts `init` (and lazily from the
// dev WebSocket path): it loads the config, opens the DB, registers the upgrade handler and the shutdown
// hook on globalThis for server.js, and starts background work. `shutdown()` closes sockets with 1001,
// drains pools and closes the DB.

import { getConfig } from './env-config';
import { closeDb, getDb } from './db';
import { purgeExpiredSessions } from './auth';
import { purgeExpiredCredentials } from './service-auth/credentials';
import { closeAllSockets, handleUpgrade } from './ws/upgrade';
import { singleton } from './singleton';
import { reconcileAfterRestart } from './environments';
import { interruptAll } from './jobs';
import { startPoller, stopPoller } from './environments/status-poller';
import { closeSshPool, useHostKeyStore } from './ssh';
import { dbHostKeyStore } from './environments/host-keys';
import { messageOf } from './errors';

export const UPGRADE_KEY = Symbol.for('spyre.upgrade');
export const SHUTDOWN_KEY = Symbol.for('spyre.shutdown');
export const LISTEN_KEY = Symbol.for('spyre.listen');

type Hook = () => Promise<void> | void;

const lifecycle = singleton('runtime', () => ({
	started: false,
	stopping: null as Promise<void> | null,
	timers: [] as NodeJS.Timeout[],
	onStart: [] as Hook[],
	onShutdown: [] as Hook[]
}));

/** Background services register here; they run after the DB is open, in registration order. */
export function onStart(hook: Hook): void {
	lifecycle.onStart.push(hook);
	if (lifecycle.started) void Promise.resolve(hook()).catch(logHookError('start'));
}

export function onShutdown(hook: Hook): void {
	lifecycle.onShutdown.push(hook);
}

function logHookError(phase: string) {
	return (err: unknown) => console.error(`[spyre] ${phase} hook failed:`, (err as Error).message);
}

export function start(): void {
	if (lifecycle.started) return;
	const config = getConfig();
	getDb();
	useHostKeyStore(dbHostKeyStore());
	lifecycle.started = true;
	const g = globalThis as Record<symbol, unknown>;
	g[UPGRADE_KEY] = handleUpgrade;
	g[SHUTDOWN_KEY] = shutdown;
	g[LISTEN_KEY] = { host: config.server.host, port: config.server.port, publicUrl: config.server.publicUrl };
	purgeExpiredSessions();
	purgeExpiredCredentials();
	const sweep = setInterval(() => (purgeExpiredSessions(), purgeExpiredCredentials()), 60 * 60 * 1000);
	sweep.unref();
	lifecycle.timers.push(sweep);
	void reconcileAfterRestart().catch((err) => console.error('[spyre] reconcile after restart failed:', messageOf(err)));
	if (process.env.SPYRE_POLL_MS !== '0') startPoller(Number(process.env.SPYRE_POLL_MS) || undefined);
	// Claude tasks keep running in their environments while Spyre is down: follow them again.
	void import('./claude/tasks/bridge')
		.then((bridge) => {
			bridge.recoverTasks();
			onShutdown(() => bridge.stopFollowing());
		})
		.catch((err) => console.error('[spyre] recovering Claude tasks failed:', messageOf(err)));
	// The Claude credential broker: its own listener; a missing or unusable claude.broker is said now.
	void import('./claude/broker')
		.then(async (broker) => {
			onShutdown(() => broker.stopBroker());
			const problem = broker.brokerProblem();
			if (problem) return console.error(`[spyre] ${problem}`);
			console.log(`[spyre] Claude credential broker listening; environments use ${await broker.startBroker()}`);
		})
		.catch((err) => console.error('[spyre]', messageOf(err)));
	// Service URLs through Caddy: re-apply routes from the services table, then health probes.
	void import('./proxy')
		.then((proxy) => {
			proxy.startProxyManager();
			onShutdown(() => proxy.stopProxyManager());
		})
		.catch((err) => console.error('[spyre] starting the proxy manager failed:', messageOf(err)));
	for (const hook of lifecycle.onStart) void Promise.resolve(hook()).catch(logHookError('start'));
}

export function shutdown(): Promise<void> {
	lifecycle.stopping ??= (async () => {
		for (const t of lifecycle.timers) clearInterval(t);
		stopPoller();
		interruptAll();
		await closeAllSockets();
		await closeSshPool().catch(logHookError('shutdown'));
		for (const hook of [...lifecycle.onShutdown].reverse()) {
			try {
				await hook();
			} catch (err) {
				logHookError('shutdown')(err);
			}
		}
		closeDb();
	})();
	return lifecycle.stopping;
}
