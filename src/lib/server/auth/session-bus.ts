// In-process announcements that sessions ended (sign-out, sign out everywhere, password change, expiry
// sweep), so the WebSocket layer can close sockets that were opened with them. Carries only token
// hashes, never tokens, and never leaves the process.

import { EventEmitter } from 'node:events';
import { singleton } from '../singleton';

const bus = singleton('auth.sessionBus', () => {
	const e = new EventEmitter();
	e.setMaxListeners(0);
	return e;
});

export function announceSessionsEnded(tokenHashes: readonly string[]): void {
	if (tokenHashes.length > 0) bus.emit('ended', tokenHashes);
}

/** Listen for ended sessions; returns the unsubscribe function. */
export function onSessionsEnded(listener: (tokenHashes: readonly string[]) => void): () => void {
	bus.on('ended', listener);
	return () => bus.off('ended', listener);
}
