// One ssh2 Client: its handshake (host key checked against the pin before authentication, keepalive
// configured), the typed errors a failed connect becomes, and the backoff that spaces reconnects after a
// lost link. The pool (pool.ts) decides when to connect; this module only knows how.

import { Client, type ConnectConfig } from 'ssh2';
import { SpyreError, messageOf } from '../errors';
import { HostKeyChangedError, hostKeyFingerprint } from './host-keys';
import type { SshPoolOptions, SshTarget } from './types';

export type EntryState = 'connecting' | 'ready' | 'closed';

/** Something that ends with a 'close' event and holds one of the connection's channel slots. */
export interface Closable {
	once(event: 'close', listener: () => void): unknown;
}

/** One SSH connection of the pool and the channels it carries. */
export interface Entry {
	/** The pool's map key: the envId for the first connection, `envId#N` for the extra ones. */
	key: string;
	envId: string;
	/** Channels this connection may carry (learned down when the server refuses one). */
	capacity: number;
	/** Channel opens in flight, counted against capacity. */
	opening: number;
	host: string;
	port: number;
	state: EntryState;
	client: Client | null;
	connecting: Promise<Client> | null;
	channels: Set<Closable>;
	lostListeners: Set<(err: SpyreError) => void>;
	idleTimer: NodeJS.Timeout | null;
	connectedAt: number | null;
	closing: boolean;
	/** The last error on the link after it was ready (keepalive timeout, socket error), for the lost message. */
	lastError: Error | null;
}

export function newEntry(key: string, target: SshTarget, port: number, capacity: number): Entry {
	return {
		key,
		envId: target.envId,
		capacity,
		opening: 0,
		host: target.host,
		port,
		state: 'connecting',
		client: null,
		connecting: null,
		channels: new Set(),
		lostListeners: new Set(),
		idleTimer: null,
		connectedAt: null,
		closing: false,
		lastError: null
	};
}

/**
 * Connect and authenticate. Resolves once the client is ready; `onClosed` runs when a ready client's
 * link closes later (expected or not). Pins the presented key on first use, after a successful login.
 */
export function handshake(entry: Entry, target: SshTarget, options: SshPoolOptions, onClosed: (client: Client) => void): Promise<Client> {
	return new Promise<Client>((resolve, reject) => {
		const client = new Client();
		let presented: string | null = null;
		let hostKeyError: SpyreError | null = null;
		let settled = false;

		const fail = (err: SpyreError) => {
			if (settled) return;
			settled = true;
			client.removeAllListeners('ready');
			client.destroy();
			reject(err);
		};

		const config: ConnectConfig = {
			host: target.host,
			port: entry.port,
			username: options.user,
			privateKey: options.privateKey,
			readyTimeout: options.connectTimeoutMs,
			keepaliveInterval: options.keepaliveIntervalMs,
			keepaliveCountMax: options.keepaliveCountMax,
			hostVerifier: (key: Buffer) => {
				presented = hostKeyFingerprint(key);
				const pinned = options.hostKeys.get(entry.envId);
				if (pinned && pinned !== presented) {
					hostKeyError = new HostKeyChangedError(entry.envId, target.host, pinned, presented);
					return false;
				}
				return true;
			}
		};

		client.on('ready', () => {
			if (settled) return;
			settled = true;
			if (presented) options.hostKeys.pin(entry.envId, presented);
			resolve(client);
		});
		client.on('error', (err: Error & { level?: string; code?: string }) => {
			if (!settled) {
				fail(classifyConnectError(err, target, entry.port, hostKeyError, options.connectTimeoutMs));
				return;
			}
			// After ready: keepalive timeouts and socket errors arrive here, then 'close'.
			entry.lastError = err;
		});
		client.on('close', () => {
			if (!settled) {
				fail(hostKeyError ?? new SpyreError('ssh', `The SSH connection to ${target.host}:${entry.port} closed during the handshake.`));
				return;
			}
			onClosed(client);
		});
		try {
			// No setNoDelay(true) (TCP_NODELAY) here: issue 12 measured it (npm run bench terminal-latency,
			// and two keys 0-1 ms apart over ssh2) and it changed keystroke echo by less than the run-to-run
			// noise. Nagle only holds a write while earlier data is unacknowledged, and sshd's echo carries the
			// acknowledgement of each key; sshd sets TCP_NODELAY on its own side for PTY sessions.
			client.connect(config);
		} catch (err) {
			fail(new SpyreError('ssh', `Cannot connect to ${target.host}:${entry.port}: ${messageOf(err)}`, { cause: err }));
		}
	});
}

export function classifyConnectError(err: Error & { level?: string; code?: string }, target: SshTarget, port: number, hostKeyError: SpyreError | null, timeoutMs: number): SpyreError {
	const where = `${target.host}:${port}`;
	if (hostKeyError) return hostKeyError;
	if (err.level === 'client-authentication') {
		return new SpyreError('ssh_auth', `The environment did not accept Spyre's SSH key (${where}). Check that Spyre's public key is in the container's authorized_keys.`, { cause: err });
	}
	if (err.level === 'client-timeout' || /timed out/i.test(err.message)) {
		return new SpyreError('timeout', `No SSH answer from ${where} within ${timeoutMs} ms.`, { cause: err });
	}
	if (err.code === 'ECONNREFUSED') {
		return new SpyreError('ssh', `SSH connection to ${where} was refused: is sshd running in the environment?`, { cause: err });
	}
	if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') {
		return new SpyreError('ssh', `${where} is unreachable from Spyre.`, { cause: err });
	}
	return new SpyreError('ssh', `SSH connection to ${where} failed: ${err.message}`, { cause: err });
}

/** Reconnect spacing per environment: exponential from baseMs, capped at maxMs, with jitter. */
export class Backoff {
	readonly #cfg: { baseMs: number; maxMs: number };
	readonly #state = new Map<string, { failures: number; lastFailureAt: number }>();

	constructor(cfg: { baseMs: number; maxMs: number } = { baseMs: 250, maxMs: 10_000 }) {
		this.#cfg = cfg;
	}

	/** How long to wait before the next connect to `envId` (0 if it is not backing off). */
	waitMs(envId: string): number {
		const b = this.#state.get(envId);
		if (!b || b.failures === 0) return 0;
		const exp = Math.min(this.#cfg.maxMs, this.#cfg.baseMs * 2 ** (b.failures - 1));
		// Half fixed, half random: concurrent environments that failed together do not retry together.
		const delay = exp / 2 + (exp / 2) * Math.random();
		return Math.max(0, b.lastFailureAt + delay - Date.now());
	}

	fail(envId: string): void {
		const b = this.#state.get(envId) ?? { failures: 0, lastFailureAt: 0 };
		b.failures = Math.min(b.failures + 1, 30);
		b.lastFailureAt = Date.now();
		this.#state.set(envId, b);
	}

	reset(envId: string): void {
		this.#state.delete(envId);
	}

	clear(): void {
		this.#state.clear();
	}
}
