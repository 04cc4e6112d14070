// The credential broker's lifecycle: its own HTTP listener on `claude.broker.listen` (never Spyre's app
// port), started once per process (lazily by the first dispatch, or at start-up), and the URL environments
// use. A missing or unusable `claude.broker` is a clear message here, shown at start-up and as the reason
// a task cannot start. See docs/security.md, "The Claude credential broker".

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getConfig } from '../../env-config';
import { SpyreError, messageOf } from '../../errors';
import { singleton } from '../../singleton';
import { handleBrokerRequest } from './server';
import { revokeEnded } from './tokens';

interface BrokerState {
	server: http.Server | null;
	url: string | null;
	starting: Promise<string> | null;
	error: string | null;
}

const state = singleton<BrokerState>('claude.broker', () => ({ server: null, url: null, starting: null, error: null }));

export const MISSING_BROKER = 'Claude tasks need the credential broker: set claude.broker.listen (host:port the environments can reach) in environment.yaml and restart Spyre.';

/** Why the broker cannot serve, or null when it runs (or may still start). */
export function brokerProblem(): string | null {
	if (!getConfig().claude.broker) return MISSING_BROKER;
	return state.error;
}

/** Listen (once); resolves to the URL environments use. */
export function startBroker(): Promise<string> {
	if (state.url) return Promise.resolve(state.url);
	if (state.starting) return state.starting;
	const cfg = getConfig().claude.broker;
	if (!cfg) return Promise.reject(new SpyreError('config', MISSING_BROKER));
	state.starting = new Promise<string>((resolve, reject) => {
		revokeEnded();
		const server = http.createServer({ requestTimeout: 0, headersTimeout: 30_000, keepAliveTimeout: 30_000 }, handleBrokerRequest);
		server.on('connection', (s) => s.setNoDelay(true));
		server.once('error', (err) => {
			state.error = `The Claude credential broker could not listen on ${cfg.host}:${cfg.port} (claude.broker.listen): ${messageOf(err)}`;
			state.starting = null;
			reject(new SpyreError('config', state.error));
		});
		server.listen(cfg.port, cfg.host, () => {
			const port = (server.address() as AddressInfo).port;
			const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
			state.server = server;
			state.url = cfg.url ?? `http://${host}:${port}`;
			state.error = null;
			resolve(state.url);
		});
	});
	return state.starting;
}

/** The bound port (tests, the bench). */
export function brokerPort(): number | null {
	return state.server ? (state.server.address() as AddressInfo).port : null;
}

/**
 * Stop taking calls; a call already streaming may finish within `graceMs` (a short answer then survives a
 * Spyre restart), after which every connection is closed.
 */
export async function stopBroker(graceMs = 3000): Promise<void> {
	const server = state.server;
	state.server = null;
	state.url = null;
	state.starting = null;
	if (!server) return;
	const closed = new Promise<void>((r) => server.close(() => r()));
	server.closeIdleConnections();
	const timer = setTimeout(() => server.closeAllConnections(), graceMs);
	timer.unref();
	await closed;
	clearTimeout(timer);
}
