// Open gateway sessions: a count per environment (an activity signal: an environment with a gateway
// session is in use) and one audit row per session when it ends, saying who (key name and fingerprint),
// where, what (shell, exec, sftp or the forward's target), when and how many bytes went each way.

import * as audit from '../audit';
import { messageOf } from '../errors';
import { hold } from '../lifecycle';

export type SessionKind = 'shell' | 'exec' | 'sftp' | 'forward';

export interface SessionInfo {
	envId: string;
	hostname: string;
	keyName: string;
	fingerprint: string;
	userId: number;
	username: string | null;
	ip: string | null;
	kind: SessionKind;
	/** The forward's target (host:port); for exec, only that it was one (the command may hold secrets). */
	what?: string;
}

const open = new Map<string, number>();

/** Open gateway sessions (channels relayed) to one environment now. */
export function gatewaySessions(envId: string): number {
	return open.get(envId) ?? 0;
}

/** Count a session as open; the returned function ends it (once) and writes its audit row. */
export function beginSession(info: SessionInfo): (bytes: { toClient: number; fromClient: number }, outcome?: { error?: string }) => void {
	const startedAt = Date.now();
	open.set(info.envId, gatewaySessions(info.envId) + 1);
	// A gateway session is activity: the idle sweeper leaves the environment running while it lasts.
	const release = hold(info.envId, 'gateway');
	let ended = false;
	return (bytes, outcome = {}) => {
		if (ended) return;
		ended = true;
		release();
		const left = gatewaySessions(info.envId) - 1;
		if (left > 0) open.set(info.envId, left);
		else open.delete(info.envId);
		const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
		const detail = `${info.kind}${info.what ? ` ${info.what}` : ''} with key "${info.keyName}" (${info.fingerprint}), started ${new Date(startedAt).toISOString()}, ${seconds} s, ${bytes.toClient} B out, ${bytes.fromClient} B in${outcome.error ? `; ${outcome.error}` : ''}`;
		try {
			audit.record({ userId: info.userId, username: info.username, ip: info.ip }, 'gateway.session', info.hostname, outcome.error ? 'failure' : 'success', detail);
		} catch (err) {
			// The database may already be closed at shutdown; the session has ended either way.
			console.error('[spyre] gateway: session audit failed:', messageOf(err));
		}
	};
}
