// The SSH connection pool: one ssh2.Client per environment, many channels on it. Owns connecting (one
// in-flight connect per environment, shared by concurrent callers), keepalive, idle close, reconnect
// backoff after a lost link, and host-key pinning (trust on first use, refuse on change until a person
// re-trusts). Never builds a shell command from data itself: callers pass commands built with
// `$lib/server/shell`. Never logs key material.

import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { getConfig } from './env-config';
import { getDb, type Db } from './db';
import { SpyreError, messageOf } from './errors';
import { singleton, forgetSingleton } from './singleton';

export interface SshTarget {
	envId: string;
	host: string;
	port?: number;
}

/** Where pinned host-key fingerprints live. The default is the environments table. */
export interface HostKeyStore {
	get(envId: string): string | null;
	/** Pin only if nothing is pinned yet (a concurrent first connect must not overwrite). */
	pin(envId: string, fingerprint: string): void;
	clear(envId: string): void;
}

export function dbHostKeyStore(db: Db | (() => Db) = getDb): HostKeyStore {
	const handle = typeof db === 'function' ? db : () => db;
	return {
		get(envId) {
			const row = handle().prepare('SELECT host_key_fingerprint AS fp FROM environments WHERE id = ?').get(envId) as
				| { fp: string | null }
				| undefined;
			return row?.fp ?? null;
		},
		pin(envId, fingerprint) {
			handle()
				.prepare(
					'UPDATE environments SET host_key_fingerprint = ?, updated_at = ? WHERE id = ? AND host_key_fingerprint IS NULL'
				)
				.run(fingerprint, Date.now(), envId);
		},
		clear(envId) {
			handle()
				.prepare('UPDATE environments SET host_key_fingerprint = NULL, updated_at = ? WHERE id = ?')
				.run(Date.now(), envId);
		}
	};
}

export function memoryHostKeyStore(initial: Record<string, string> = {}): HostKeyStore {
	const map = new Map(Object.entries(initial));
	return {
		get: (envId) => map.get(envId) ?? null,
		pin: (envId, fp) => {
			if (!map.has(envId)) map.set(envId, fp);
		},
		clear: (envId) => void map.delete(envId)
	};
}

export interface SshPoolOptions {
	privateKey: string | Buffer;
	user: string;
	port: number;
	connectTimeoutMs: number;
	keepaliveIntervalMs: number;
	keepaliveCountMax: number;
	idleCloseMs: number;
	hostKeys: HostKeyStore;
	/** Reconnect backoff after a lost link or a failed connect: exponential from baseMs, capped, jittered. */
	backoff?: { baseMs: number; maxMs: number };
	/**
	 * Channels per SSH connection before the pool opens another connection to the same environment.
	 * OpenSSH's MaxSessions defaults to 10; a refused channel open also lowers the limit it learns.
	 */
	channelsPerConnection?: number;
	/** Connections per environment at most (so 8 × 10 channels by default). */
	maxConnectionsPerEnv?: number;
}

export interface ExecOptions {
	timeoutMs?: number;
	stdin?: string | Buffer;
	/** stdout + stderr beyond this many bytes is an error (default 16 MiB). */
	maxOutputBytes?: number;
}

export interface ExecResult {
	code: number | null;
	signal?: string;
	stdout: string;
	stderr: string;
}

export interface PtyOptions {
	cols: number;
	rows: number;
	term?: string;
	env?: Record<string, string>;
}

/** A channel with a pseudo-terminal. `stream` is the raw duplex (stdout on read, stdin on write). */
export interface PtyHandle {
	readonly stream: ClientChannel;
	/** Resolves when the channel closes, with the remote exit status if one was sent. */
	readonly closed: Promise<{ code: number | null; signal?: string }>;
	resize(cols: number, rows: number): void;
	close(): void;
	/** Called once if the SSH connection under this channel is lost (not when the channel just ends). */
	onConnectionLost(listener: (err: SpyreError) => void): () => void;
}

export interface PoolStats {
	connections: Array<{
		envId: string;
		host: string;
		port: number;
		state: 'connecting' | 'ready';
		channels: number;
		connectedAt: number | null;
	}>;
	channels: number;
	connects: number;
	connectFailures: number;
	lostConnections: number;
	idleCloses: number;
}

type EntryState = 'connecting' | 'ready' | 'closed';

interface Entry {
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
	channels: Set<ClientChannel>;
	lostListeners: Set<(err: SpyreError) => void>;
	idleTimer: NodeJS.Timeout | null;
	connectedAt: number | null;
	closing: boolean;
}

interface Backoff {
	failures: number;
	lastFailureAt: number;
}

export interface SshPool extends EventEmitter {
	getConnection(target: SshTarget): Promise<Client>;
	exec(target: SshTarget, cmd: string, opts?: ExecOptions): Promise<ExecResult>;
	openPty(target: SshTarget, cmd: string, opts: PtyOptions): Promise<PtyHandle>;
	openShell(target: SshTarget, opts: PtyOptions): Promise<PtyHandle>;
	verifySsh(target: SshTarget): Promise<{ fingerprint: string }>;
	trustHostKey(envId: string): void;
	/** Close one environment's connection (e.g. before destroy). */
	close(envId: string): Promise<void>;
	closeAll(): Promise<void>;
	stats(): PoolStats;
}

/** SHA-256 of the raw host key blob, as OpenSSH prints it: `SHA256:` + unpadded base64. */
export function hostKeyFingerprint(key: Buffer): string {
	return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function createSshPool(options: SshPoolOptions): SshPool {
	const entries = new Map<string, Entry>();
	const backoffs = new Map<string, Backoff>();
	const backoffCfg = options.backoff ?? { baseMs: 250, maxMs: 10_000 };
	const counters = { connects: 0, connectFailures: 0, lostConnections: 0, idleCloses: 0 };
	const emitter = new EventEmitter();
	// Listeners are optional; an 'error' event with none would throw, so the pool never emits 'error'.
	emitter.setMaxListeners(0);

	function portOf(target: SshTarget) {
		return target.port ?? options.port;
	}

	function backoffWait(envId: string): number {
		const b = backoffs.get(envId);
		if (!b || b.failures === 0) return 0;
		const exp = Math.min(backoffCfg.maxMs, backoffCfg.baseMs * 2 ** (b.failures - 1));
		const delay = exp / 2 + (exp / 2) * Math.random();
		return Math.max(0, b.lastFailureAt + delay - Date.now());
	}

	function noteFailure(envId: string) {
		const b = backoffs.get(envId) ?? { failures: 0, lastFailureAt: 0 };
		b.failures = Math.min(b.failures + 1, 30);
		b.lastFailureAt = Date.now();
		backoffs.set(envId, b);
	}

	function armIdle(entry: Entry) {
		if (entry.idleTimer) clearTimeout(entry.idleTimer);
		entry.idleTimer = null;
		if (entry.state !== 'ready' || entry.channels.size > 0) return;
		entry.idleTimer = setTimeout(() => {
			if (entry.channels.size === 0 && entry.state === 'ready' && entries.get(entry.key) === entry) {
				counters.idleCloses++;
				endEntry(entry);
			}
		}, options.idleCloseMs);
		entry.idleTimer.unref();
	}

	function endEntry(entry: Entry) {
		entry.closing = true;
		if (entry.idleTimer) clearTimeout(entry.idleTimer);
		entry.idleTimer = null;
		if (entries.get(entry.key) === entry) entries.delete(entry.key);
		entry.state = 'closed';
		entry.client?.end();
	}

	function connect(entry: Entry, target: SshTarget): Promise<Client> {
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
						hostKeyError = new SpyreError(
							'ssh_host_key',
							`WARNING: the SSH host key of environment ${entry.envId} (${target.host}) has changed. ` +
								`Someone could be impersonating it. Expected ${pinned}, got ${presented}. ` +
								`If the container was rebuilt, re-trust its host key in Spyre; otherwise investigate before connecting.`
						);
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
				(client as Client & { _spyreLastError?: Error })._spyreLastError = err;
			});
			client.on('close', () => {
				if (!settled) {
					fail(
						hostKeyError ??
							new SpyreError('ssh', `The SSH connection to ${target.host}:${entry.port} closed during the handshake.`)
					);
					return;
				}
				onClientClosed(entry, client);
			});
			try {
				client.connect(config);
			} catch (err) {
				fail(new SpyreError('ssh', `Cannot connect to ${target.host}:${entry.port}: ${messageOf(err)}`, { cause: err }));
			}
		});
	}

	function onClientClosed(entry: Entry, client: Client) {
		if (entry.client !== client) return;
		const wasExpected = entry.closing;
		if (entry.idleTimer) clearTimeout(entry.idleTimer);
		entry.idleTimer = null;
		entry.state = 'closed';
		if (entries.get(entry.key) === entry) entries.delete(entry.key);
		if (wasExpected) return;
		counters.lostConnections++;
		noteFailure(entry.envId);
		const cause = (client as Client & { _spyreLastError?: Error })._spyreLastError;
		const err = new SpyreError(
			'ssh',
			`The SSH connection to environment ${entry.envId} was lost${cause ? ` (${cause.message})` : ''}.`,
			{ cause }
		);
		for (const listener of entry.lostListeners) {
			try {
				listener(err);
			} catch (e) {
				console.error('[spyre] ssh-pool: lost-connection listener failed:', messageOf(e));
			}
		}
		entry.lostListeners.clear();
		emitter.emit('disconnect', entry.envId, err);
	}

	const channelsPerConnection = options.channelsPerConnection ?? 10;
	const maxConnectionsPerEnv = options.maxConnectionsPerEnv ?? 8;
	const slotKey = (envId: string, slot: number) => (slot === 0 ? envId : `${envId}#${slot}`);
	const entriesOf = (envId: string) => [...entries.values()].filter((e) => e.envId === envId);

	async function getEntry(target: SshTarget, slot = 0): Promise<Entry> {
		const key = slotKey(target.envId, slot);
		const existing = entries.get(key);
		if (existing && existing.host === target.host && existing.port === portOf(target)) {
			if (existing.state === 'ready') return existing;
			if (existing.connecting) {
				await existing.connecting;
				return existing;
			}
		} else if (existing) {
			// The environment moved (new IP): the old link is useless.
			endEntry(existing);
		}
		const entry: Entry = {
			key,
			envId: target.envId,
			capacity: channelsPerConnection,
			opening: 0,
			host: target.host,
			port: portOf(target),
			state: 'connecting',
			client: null,
			connecting: null,
			channels: new Set(),
			lostListeners: new Set(),
			idleTimer: null,
			connectedAt: null,
			closing: false
		};
		entries.set(key, entry);
		entry.connecting = (async () => {
			const wait = backoffWait(target.envId);
			if (wait > 0) await sleep(wait);
			if (entry.closing) throw new SpyreError('ssh', 'The SSH pool is shutting down.');
			try {
				counters.connects++;
				const client = await connect(entry, target);
				entry.client = client;
				if (entry.closing) {
					client.end();
					throw new SpyreError('ssh', 'The SSH pool is shutting down.');
				}
				entry.state = 'ready';
				entry.connectedAt = Date.now();
				backoffs.delete(target.envId);
				armIdle(entry);
				emitter.emit('connect', target.envId);
				return client;
			} catch (err) {
				counters.connectFailures++;
				if (entries.get(entry.key) === entry) entries.delete(entry.key);
				entry.state = 'closed';
				// A refused key or a changed host key will not fix itself by retrying faster.
				if (!(err instanceof SpyreError && (err.code === 'ssh_auth' || err.code === 'ssh_host_key'))) {
					noteFailure(target.envId);
				}
				throw err;
			} finally {
				entry.connecting = null;
			}
		})();
		await entry.connecting;
		return entry;
	}

	function track(entry: Entry, channel: ClientChannel) {
		entry.channels.add(channel);
		armIdle(entry);
		channel.once('close', () => {
			entry.channels.delete(channel);
			armIdle(entry);
		});
	}

	/**
	 * Open a channel and run `setup` synchronously in ssh2's callback: ssh2 may emit a short command's
	 * output, exit and close in the same tick, before a promise continuation could attach listeners.
	 */
	function openChannel<T>(
		entry: Entry,
		open: (cb: (err: Error | undefined, ch: ClientChannel) => void) => void,
		setup: (channel: ClientChannel) => T
	): Promise<T> {
		return new Promise((resolve, reject) => {
			try {
				open((err, channel) => {
					if (err) {
						reject(
							new SpyreError('ssh', `Could not open an SSH channel to environment ${entry.envId}: ${err.message}`, {
								cause: err
							})
						);
						return;
					}
					track(entry, channel);
					resolve(setup(channel));
				});
			} catch (err) {
				// ssh2 throws synchronously when the client is not connected any more.
				reject(new SpyreError('ssh', `The SSH connection to environment ${entry.envId} is not open.`, { cause: err }));
			}
		});
	}

	function isSessionLimit(err: unknown): boolean {
		const text = `${messageOf(err)} ${err instanceof Error && err.cause ? messageOf(err.cause) : ''}`;
		return /open failed|Channel open failure|administratively prohibited/i.test(text);
	}

	/**
	 * Open a channel on the first connection of the environment with room for it, opening another
	 * connection when the ones there are full (sshd's MaxSessions). A refused open teaches the pool that
	 * connection's real limit.
	 */
	async function onFreeConnection<T>(target: SshTarget, open: (entry: Entry) => Promise<T>): Promise<T> {
		let lastErr: unknown = null;
		for (let slot = 0; slot < maxConnectionsPerEnv; slot++) {
			const entry = await getEntry(target, slot);
			if (entry.channels.size + entry.opening >= entry.capacity) continue;
			entry.opening++;
			try {
				return await open(entry);
			} catch (err) {
				if (!isSessionLimit(err)) throw err;
				lastErr = err;
				entry.capacity = Math.max(1, entry.channels.size);
			} finally {
				entry.opening--;
			}
		}
		throw new SpyreError(
			'ssh',
			`Environment ${target.envId} has too many open terminals and commands (${maxConnectionsPerEnv} SSH connections are full). Close some tabs and try again.`,
			{ cause: lastErr }
		);
	}

	function ptyHandle(entry: Entry, channel: ClientChannel): PtyHandle {
		const listeners = new Set<(err: SpyreError) => void>();
		const relay = (err: SpyreError) => {
			for (const l of listeners) l(err);
			listeners.clear();
		};
		entry.lostListeners.add(relay);
		let exit: { code: number | null; signal?: string } = { code: null };
		channel.on('exit', (code: number | null, signal?: string) => (exit = { code, signal: signal ?? undefined }));
		const closed = new Promise<{ code: number | null; signal?: string }>((resolve) => {
			// 'close' on a Readable waits for the data to be consumed; ssh2 also emits it on teardown.
			channel.once('close', () => {
				// Let a connection-lost notification that caused this close run first.
				setImmediate(() => {
					entry.lostListeners.delete(relay);
					resolve(exit);
				});
			});
		});
		return {
			stream: channel,
			closed,
			resize(cols, rows) {
				try {
					channel.setWindow(rows, cols, 0, 0);
				} catch {
					// The channel is closing; the size no longer matters.
				}
			},
			close() {
				try {
					channel.close();
				} catch {
					// Already closed.
				}
			},
			onConnectionLost(listener) {
				listeners.add(listener);
				return () => listeners.delete(listener);
			}
		};
	}

	async function execOn(entry: Entry, cmd: string, opts: ExecOptions): Promise<ExecResult> {
		const max = opts.maxOutputBytes ?? 16 * 1024 * 1024;
		let settle!: { resolve: (r: ExecResult) => void; reject: (e: unknown) => void };
		const result = new Promise<ExecResult>((resolve, reject) => (settle = { resolve, reject }));
		await openChannel(
			entry,
			(cb) => entry.client!.exec(cmd, cb),
			(channel) => {
				const out: Buffer[] = [];
				const errOut: Buffer[] = [];
				let size = 0;
				let code: number | null = null;
				let signal: string | undefined;
				let done = false;
				const finish = (err: SpyreError | null) => {
					if (done) return;
					done = true;
					if (timer) clearTimeout(timer);
					entry.lostListeners.delete(lost);
					if (err) settle.reject(err);
					else
						settle.resolve({
							code,
							signal,
							stdout: Buffer.concat(out).toString('utf8'),
							stderr: Buffer.concat(errOut).toString('utf8')
						});
				};
				const abort = (err: SpyreError) => {
					// OpenSSH keeps the channel until the command exits: signal it, then close our side.
					try {
						channel.signal('KILL');
					} catch {
						// Not supported or already closed.
					}
					try {
						channel.close();
					} catch {
						// Already closed.
					}
					finish(err);
				};
				const timer = opts.timeoutMs
					? setTimeout(
							() => abort(new SpyreError('timeout', `Command on environment ${entry.envId} timed out after ${opts.timeoutMs} ms.`)),
							opts.timeoutMs
						)
					: null;
				const onData = (into: Buffer[]) => (chunk: Buffer) => {
					size += chunk.length;
					if (size > max) {
						abort(new SpyreError('ssh', `Command output from environment ${entry.envId} exceeded ${max} bytes.`));
						return;
					}
					into.push(chunk);
				};
				const lost = (err: SpyreError) => finish(err);
				entry.lostListeners.add(lost);
				channel.on('data', onData(out));
				channel.stderr.on('data', onData(errOut));
				channel.on('exit', (c: number | null, sig?: string) => {
					code = c;
					signal = sig ?? undefined;
				});
				// The lost-connection listener runs on the client's 'close', after ssh2 closed the channels.
				channel.on('close', () => setImmediate(() => finish(null)));
				if (opts.stdin !== undefined) channel.end(opts.stdin);
				else channel.end();
			}
		);
		return result;
	}

	const pool = Object.assign(emitter, {
		async getConnection(target: SshTarget): Promise<Client> {
			const entry = await getEntry(target);
			return entry.client!;
		},

		async exec(target: SshTarget, cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
			return onFreeConnection(target, (entry) => execOn(entry, cmd, opts));
		},

		async openPty(target: SshTarget, cmd: string, opts: PtyOptions): Promise<PtyHandle> {
			const pty = { cols: opts.cols, rows: opts.rows, term: opts.term ?? 'xterm-256color', width: 0, height: 0 };
			return onFreeConnection(target, (entry) =>
				openChannel(entry, (cb) => entry.client!.exec(cmd, { pty, env: opts.env }, cb), (ch) => ptyHandle(entry, ch))
			);
		},

		async openShell(target: SshTarget, opts: PtyOptions): Promise<PtyHandle> {
			const pty = { cols: opts.cols, rows: opts.rows, term: opts.term ?? 'xterm-256color', width: 0, height: 0 };
			return onFreeConnection(target, (entry) =>
				openChannel(entry, (cb) => entry.client!.shell(pty, { env: opts.env }, cb), (ch) => ptyHandle(entry, ch))
			);
		},

		async verifySsh(target: SshTarget): Promise<{ fingerprint: string }> {
			const r = await pool.exec(target, 'true', { timeoutMs: options.connectTimeoutMs });
			if (r.code !== 0) {
				throw new SpyreError('ssh', `SSH works but running \`true\` on environment ${target.envId} exited with ${r.code}.`);
			}
			const fingerprint = options.hostKeys.get(target.envId);
			if (!fingerprint) {
				throw new SpyreError('internal', `The host key of environment ${target.envId} could not be pinned.`);
			}
			return { fingerprint };
		},

		trustHostKey(envId: string): void {
			options.hostKeys.clear(envId);
			backoffs.delete(envId);
			for (const entry of entriesOf(envId)) endEntry(entry);
		},

		async close(envId: string): Promise<void> {
			await Promise.all(entriesOf(envId).map(closeEntry));
		},

		async closeAll(): Promise<void> {
			await Promise.all([...entries.values()].map(closeEntry));
			backoffs.clear();
		},

		stats(): PoolStats {
			const connections = [...entries.values()]
				.filter((e) => e.state !== 'closed')
				.map((e) => ({
					envId: e.envId,
					host: e.host,
					port: e.port,
					state: e.state as 'connecting' | 'ready',
					channels: e.channels.size,
					connectedAt: e.connectedAt
				}));
			return { connections, channels: connections.reduce((n, c) => n + c.channels, 0), ...counters };
		}
	});

	async function closeEntry(entry: Entry): Promise<void> {
		const client = entry.client;
		const closed =
			client && entry.state === 'ready'
				? new Promise<void>((resolve) => {
						client.once('close', () => resolve());
						setTimeout(resolve, 2000).unref();
					})
				: Promise.resolve();
		endEntry(entry);
		await closed;
	}

	return pool;
}

function classifyConnectError(
	err: Error & { level?: string; code?: string },
	target: SshTarget,
	port: number,
	hostKeyError: SpyreError | null,
	timeoutMs: number
): SpyreError {
	const where = `${target.host}:${port}`;
	if (hostKeyError) return hostKeyError;
	if (err.level === 'client-authentication') {
		return new SpyreError(
			'ssh_auth',
			`The environment did not accept Spyre's SSH key (${where}). Check that Spyre's public key is in the container's authorized_keys.`,
			{ cause: err }
		);
	}
	if (err.level === 'client-timeout' || /timed out/i.test(err.message)) {
		return new SpyreError('timeout', `No SSH answer from ${where} within ${timeoutMs} ms.`, { cause: err });
	}
	if (err.code === 'ECONNREFUSED') {
		return new SpyreError('ssh', `SSH connection to ${where} was refused: is sshd running in the environment?`, {
			cause: err
		});
	}
	if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') {
		return new SpyreError('ssh', `${where} is unreachable from Spyre.`, { cause: err });
	}
	return new SpyreError('ssh', `SSH connection to ${where} failed: ${err.message}`, { cause: err });
}

/** The SSH target for an environment row: its IP, the configured port. */
export function targetForEnvironment(envId: string, db: Db = getDb()): SshTarget {
	const row = db.prepare('SELECT id, ip, status FROM environments WHERE id = ?').get(envId) as
		| { id: string; ip: string | null; status: string }
		| undefined;
	if (!row) throw new SpyreError('not_found', `Environment ${envId} does not exist.`);
	if (!row.ip) {
		throw new SpyreError('conflict', `Environment ${envId} has no IP address yet (status: ${row.status}).`);
	}
	return { envId: row.id, host: row.ip };
}

/** The process-wide pool, configured from environment.yaml; pins host keys in the environments table. */
export function getSshPool(): SshPool {
	return singleton('ssh-pool', () => {
		const cfg = getConfig().ssh;
		return createSshPool({
			privateKey: fs.readFileSync(cfg.privateKeyPath),
			user: cfg.user,
			port: cfg.port,
			connectTimeoutMs: cfg.connectTimeoutMs,
			keepaliveIntervalMs: cfg.keepaliveIntervalMs,
			keepaliveCountMax: cfg.keepaliveCountMax,
			idleCloseMs: cfg.idleCloseMs,
			hostKeys: dbHostKeyStore()
		});
	});
}

/** SIGTERM drain: close every connection and forget the pool. */
export async function closeSshPool(): Promise<void> {
	const pool = forgetSingleton<SshPool>('ssh-pool');
	await pool?.closeAll();
}

// Verbs on the process-wide pool, so call sites read `ssh.exec(target, cmd)`.
export const getConnection = (target: SshTarget) => getSshPool().getConnection(target);
export const exec = (target: SshTarget, cmd: string, opts?: ExecOptions) => getSshPool().exec(target, cmd, opts);
export const openPty = (target: SshTarget, cmd: string, opts: PtyOptions) => getSshPool().openPty(target, cmd, opts);
export const openShell = (target: SshTarget, opts: PtyOptions) => getSshPool().openShell(target, opts);
export const verifySsh = (target: SshTarget) => getSshPool().verifySsh(target);
export const trustHostKey = (envId: string) => getSshPool().trustHostKey(envId);
export const closeAll = () => closeSshPool();
export const stats = () => getSshPool().stats();
