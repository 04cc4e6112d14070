// Channel slots: OpenSSH limits the channels (sessions) one connection may carry (MaxSessions, 10 by
// default), so the pool spreads channels over up to N connections per environment and learns a lower
// limit when the server refuses an open. Every channel (exec, PTY, SFTP) is counted here until it closes,
// which is also what keeps a connection from being closed as idle while something runs on it.

import { SpyreError, messageOf } from '../errors';
import type { Closable, Entry } from './connection';
import type { SshTarget } from './types';

export interface SlotHost {
	/** The connection in `slot` for this environment, connected (connecting it if needed). */
	getEntry(target: SshTarget, slot: number): Promise<Entry>;
	/** Re-arm (or disarm) the idle-close timer after the channel count changed. */
	armIdle(entry: Entry): void;
	maxConnectionsPerEnv: number;
}

function track(host: SlotHost, entry: Entry, channel: Closable) {
	entry.channels.add(channel);
	host.armIdle(entry);
	channel.once('close', () => {
		entry.channels.delete(channel);
		host.armIdle(entry);
	});
}

/**
 * Open a channel and run `setup` synchronously in ssh2's callback: ssh2 may emit a short command's
 * output, exit and close in the same tick, before a promise continuation could attach listeners.
 */
export function openChannel<C extends Closable, T>(host: SlotHost, entry: Entry, open: (cb: (err: Error | undefined, ch: C) => void) => void, setup: (channel: C) => T): Promise<T> {
	return new Promise((resolve, reject) => {
		try {
			open((err, channel) => {
				if (err) {
					reject(new SpyreError('ssh', `Could not open an SSH channel to environment ${entry.envId}: ${err.message}`, { cause: err }));
					return;
				}
				track(host, entry, channel);
				resolve(setup(channel));
			});
		} catch (err) {
			// ssh2 throws synchronously when the client is not connected any more.
			reject(new SpyreError('ssh', `The SSH connection to environment ${entry.envId} is not open.`, { cause: err }));
		}
	});
}

/** Whether a channel open failed because the connection is full (sshd MaxSessions), not for another reason. */
export function isSessionLimit(err: unknown): boolean {
	const text = `${messageOf(err)} ${err instanceof Error && err.cause ? messageOf(err.cause) : ''}`;
	return /open failed|Channel open failure|administratively prohibited/i.test(text);
}

/**
 * Open a channel on the first connection of the environment with room for it, opening another
 * connection when the ones there are full. A refused open teaches the pool that connection's real limit.
 */
export async function onFreeConnection<T>(host: SlotHost, target: SshTarget, open: (entry: Entry) => Promise<T>): Promise<T> {
	let lastErr: unknown = null;
	for (let slot = 0; slot < host.maxConnectionsPerEnv; slot++) {
		const entry = await host.getEntry(target, slot);
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
	throw new SpyreError('ssh', `Environment ${target.envId} has too many open terminals and commands (${host.maxConnectionsPerEnv} SSH connections are full). Close some tabs and try again.`, {
		cause: lastErr
	});
}
