// Runs the sign-in audit flush (audit.ts) in the server process: once at start-up, for windows a
// crash or restart left behind, then every minute, and a last time at shutdown.

import { flushAuthFailures } from './audit';
import { messageOf } from '../errors';
import { onShutdown } from '../runtime';
import { singleton } from '../singleton';

/** Flush ended windows now (windows a crash left behind) and then every minute until shutdown. */
export function startAuthAuditFlush(): void {
	const state = singleton('auth.auditFlush', () => ({ timer: null as NodeJS.Timeout | null }));
	if (state.timer) return;
	const flush = () => {
		try {
			flushAuthFailures();
		} catch (err) {
			console.error('[spyre] sign-in audit flush failed:', messageOf(err));
		}
	};
	flush();
	state.timer = setInterval(flush, 60 * 1000);
	state.timer.unref();
	onShutdown(() => {
		if (state.timer) clearInterval(state.timer);
		state.timer = null;
		flush();
	});
}
