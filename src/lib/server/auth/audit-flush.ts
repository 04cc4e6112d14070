// Runs the sign-in audit flush (audit.ts) in the server process: once at start-up, for windows a
// crash or restart left behind, then every minute, and a last time at shutdown (a background service,
// registered in background/index.ts).

import { flushAuthFailures } from './audit';
import { messageOf } from '../errors';
import { singleton } from '../singleton';

const state = singleton('auth.auditFlush', () => ({ timer: null as NodeJS.Timeout | null }));

function flush(): void {
	try {
		flushAuthFailures();
	} catch (err) {
		console.error('[spyre] sign-in audit flush failed:', messageOf(err));
	}
}

/** Flush ended windows now (windows a crash left behind) and then every minute until shutdown. */
export function startAuthAuditFlush(): void {
	if (state.timer) return;
	flush();
	state.timer = setInterval(flush, 60 * 1000);
	state.timer.unref();
}

/** Shutdown: stop the timer and flush a last time. */
export function stopAuthAuditFlush(): void {
	if (state.timer) clearInterval(state.timer);
	state.timer = null;
	flush();
}
