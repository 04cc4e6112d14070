// The SSH connection pool: connections per environment (one in-flight connect shared by concurrent
// callers), idle close, reconnect backoff after a lost link, and the verbs built on them. The pieces live
// beside it: connection.ts (handshake, errors, backoff), slots.ts (channels per connection), host-keys.ts,
// exec.ts, exec-stream.ts, pty.ts, sftp.ts, raw-channel.ts. Never builds a shell command from data itself: callers pass
// commands built with `$lib/server/shell`. Never logs key material.

import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, ClientChannel } from 'ssh2';
import { SpyreError, messageOf } from '../errors';
import { Backoff, handshake, newEntry, type Entry } from './connection';
import { execOn } from './exec';
import { assertStreamOptions, execStreamOn, notStarted } from './exec-stream';
import { parseFingerprint, probeHostKey } from './host-keys';
import { ptyHandle, ptyRequest } from './pty';
import { rawHandle, rawOpener } from './raw-channel';
import { readFileOn, writeFileOn } from './sftp';
import { onFreeConnection, openChannel, type SlotHost } from './slots';
import type { ExecOptions, ExecStreamOptions, PoolStats, PtyOptions, RawChannelRequest, ReadFileOptions, SshPool, SshPoolOptions, SshTarget, WriteFileOptions } from './types';

export function createSshPool(options: SshPoolOptions): SshPool {
	const entries = new Map<string, Entry>();
	const backoff = new Backoff(options.backoff);
	const counters = { connects: 0, connectFailures: 0, lostConnections: 0, idleCloses: 0 };
	const channelsPerConnection = options.channelsPerConnection ?? 10;
	const emitter = new EventEmitter();
	// Listeners are optional; an 'error' event with none would throw, so the pool never emits 'error'.
	emitter.setMaxListeners(0);

	const portOf = (target: SshTarget) => target.port ?? options.port;
	const slotKey = (envId: string, slot: number) => (slot === 0 ? envId : `${envId}#${slot}`);
	const entriesOf = (envId: string) => [...entries.values()].filter((e) => e.envId === envId);

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

	/** A ready client's link closed: expected (we ended it) or lost (tell every channel on it). */
	function onClientClosed(entry: Entry, client: Client) {
		if (entry.client !== client) return;
		const wasExpected = entry.closing;
		if (entry.idleTimer) clearTimeout(entry.idleTimer);
		entry.idleTimer = null;
		entry.state = 'closed';
		if (entries.get(entry.key) === entry) entries.delete(entry.key);
		if (wasExpected) return;
		counters.lostConnections++;
		backoff.fail(entry.envId);
		const cause = entry.lastError ?? undefined;
		const err = new SpyreError('ssh', `The SSH connection to environment ${entry.envId} was lost${cause ? ` (${cause.message})` : ''}.`, { cause });
		for (const listener of entry.lostListeners) {
			try {
				listener(err);
			} catch (e) {
				console.error('[spyre] ssh: lost-connection listener failed:', messageOf(e));
			}
		}
		entry.lostListeners.clear();
		emitter.emit('disconnect', entry.envId, err);
	}

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
		const entry = newEntry(key, target, portOf(target), channelsPerConnection);
		entries.set(key, entry);
		entry.connecting = (async () => {
			const wait = backoff.waitMs(target.envId);
			if (wait > 0) await sleep(wait);
			if (entry.closing) throw new SpyreError('ssh', 'The SSH pool is shutting down.');
			try {
				counters.connects++;
				const client = await handshake(entry, target, options, (c) => onClientClosed(entry, c));
				entry.client = client;
				if (entry.closing) {
					client.end();
					throw new SpyreError('ssh', 'The SSH pool is shutting down.');
				}
				entry.state = 'ready';
				entry.connectedAt = Date.now();
				backoff.reset(target.envId);
				armIdle(entry);
				emitter.emit('connect', target.envId);
				return client;
			} catch (err) {
				counters.connectFailures++;
				if (entries.get(entry.key) === entry) entries.delete(entry.key);
				entry.state = 'closed';
				// A refused key or a changed host key will not fix itself by retrying faster.
				if (!(err instanceof SpyreError && (err.code === 'ssh_auth' || err.code === 'ssh_host_key'))) backoff.fail(target.envId);
				throw err;
			} finally {
				entry.connecting = null;
			}
		})();
		await entry.connecting;
		return entry;
	}

	const slots: SlotHost = { getEntry, armIdle, maxConnectionsPerEnv: options.maxConnectionsPerEnv ?? 8 };

	function forgetHostKey(envId: string) {
		options.hostKeys.clear(envId);
		backoff.reset(envId);
		for (const entry of entriesOf(envId)) endEntry(entry);
	}

	const pool: SshPool = Object.assign(emitter, {
		async getConnection(target: SshTarget) {
			return (await getEntry(target)).client!;
		},

		exec: (target: SshTarget, cmd: string, opts: ExecOptions = {}) => onFreeConnection(slots, target, (entry) => execOn(slots, entry, cmd, opts)),

		async execStream(target: SshTarget, cmd: string, opts: ExecStreamOptions = {}) {
			assertStreamOptions(opts);
			if (opts.signal?.aborted) return notStarted();
			const killGroup = async (pgid: number) => {
				await pool.exec(target, `kill -KILL -- -${pgid} 2>/dev/null; true`, { timeoutMs: 5000 });
			};
			return onFreeConnection(slots, target, (entry) => execStreamOn(slots, entry, cmd, opts, { killGroup }));
		},

		openPty: (target: SshTarget, cmd: string, opts: PtyOptions) =>
			onFreeConnection(slots, target, (entry) =>
				openChannel(
					slots,
					entry,
					(cb: (err: Error | undefined, ch: ClientChannel) => void) => entry.client!.exec(cmd, { pty: ptyRequest(opts), env: opts.env }, cb),
					(ch) => ptyHandle(entry, ch)
				)
			),

		openShell: (target: SshTarget, opts: PtyOptions) =>
			onFreeConnection(slots, target, (entry) =>
				openChannel(
					slots,
					entry,
					(cb: (err: Error | undefined, ch: ClientChannel) => void) => entry.client!.shell(ptyRequest(opts), { env: opts.env }, cb),
					(ch) => ptyHandle(entry, ch)
				)
			),

		openRaw: (target: SshTarget, request: RawChannelRequest) => onFreeConnection(slots, target, (entry) => openChannel(slots, entry, rawOpener(entry.client!, request), rawHandle)),

		writeFile: (target: SshTarget, path: string, content: string | Buffer, opts: WriteFileOptions = {}) => onFreeConnection(slots, target, (entry) => writeFileOn(slots, entry, path, content, opts)),

		readFile: (target: SshTarget, path: string, opts: ReadFileOptions = {}) => onFreeConnection(slots, target, (entry) => readFileOn(slots, entry, path, opts)),

		async verifySsh(target: SshTarget) {
			const r = await pool.exec(target, 'true', { timeoutMs: options.connectTimeoutMs });
			if (r.code !== 0) throw new SpyreError('ssh', `SSH works but running \`true\` on environment ${target.envId} exited with ${r.code}.`);
			const fingerprint = options.hostKeys.get(target.envId);
			if (!fingerprint) throw new SpyreError('internal', `The host key of environment ${target.envId} could not be pinned.`);
			return { fingerprint };
		},

		presentedHostKey: (target: SshTarget) => probeHostKey(target, portOf(target), options.connectTimeoutMs),

		async trustHostKey(target: SshTarget, fingerprint: string) {
			const wanted = parseFingerprint(fingerprint);
			const presented = await probeHostKey(target, portOf(target), options.connectTimeoutMs);
			if (presented !== wanted) {
				throw new SpyreError('conflict', `Environment ${target.envId} presents the host key ${presented}, not ${wanted}. Nothing was trusted; compare the fingerprint again.`, {
					fields: { fingerprint: `The environment presents ${presented}.` }
				});
			}
			const previous = options.hostKeys.get(target.envId);
			if (options.hostKeys.set) options.hostKeys.set(target.envId, presented);
			else {
				options.hostKeys.clear(target.envId);
				options.hostKeys.pin(target.envId, presented);
			}
			backoff.reset(target.envId);
			// Connections made under the old pin must not outlive it.
			for (const entry of entriesOf(target.envId)) endEntry(entry);
			return { fingerprint: presented, previous };
		},

		forgetHostKey,

		async close(envId: string) {
			await Promise.all(entriesOf(envId).map(closeEntry));
		},

		async closeAll() {
			await Promise.all([...entries.values()].map(closeEntry));
			backoff.clear();
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
	return pool;
}
