// Process start-up and shutdown. `start()` runs once from hooks.server.ts `init` (and lazily from the
// dev WebSocket path): it loads the config, publishes the upgrade handler, the shutdown hook and the listen
// address on globalThis for server.js, and starts the background services (background/index.ts, in their
// order). `shutdown()` stops them in reverse: sockets close with 1001, pools drain, the DB closes last.

import { getConfig } from './env-config';
import { getDb } from './db';
import { handleUpgrade } from './ws';
import { singleton } from './singleton';
import { backgroundServices, serviceRegistry, type ServiceRegistry } from './background';

export const UPGRADE_KEY = Symbol.for('spyre.upgrade');
export const SHUTDOWN_KEY = Symbol.for('spyre.shutdown');
export const LISTEN_KEY = Symbol.for('spyre.listen');

const lifecycle = singleton('runtime', () => ({ services: null as ServiceRegistry | null }));

export function start(): Promise<void> {
	if (lifecycle.services) return lifecycle.services.startAll();
	// A config or database that does not load throws here, before anything starts: the process says why and
	// exits. (The database service then only closes it at shutdown.)
	const config = getConfig();
	getDb();
	const services = (lifecycle.services = serviceRegistry(backgroundServices()));
	const g = globalThis as Record<symbol, unknown>;
	g[UPGRADE_KEY] = handleUpgrade;
	g[SHUTDOWN_KEY] = shutdown;
	g[LISTEN_KEY] = { host: config.server.host, port: config.server.port, publicUrl: config.server.publicUrl };
	return services.startAll();
}

export function shutdown(): Promise<void> {
	return lifecycle.services?.stopAll() ?? Promise.resolve();
}
