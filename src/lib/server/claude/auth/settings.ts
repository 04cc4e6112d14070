// Timings of Claude authentication. Environment variables (like SPYRE_POLL_MS) so tests can shorten the
// 10-minute abandonment timeout and the 60 s health check of a built server without a config key.

function ms(name: string, fallback: number): number {
	const v = Number(process.env[name]);
	return Number.isFinite(v) && v > 0 ? v : fallback;
}

export const authSettings = {
	/** A flow left waiting this long is cancelled by itself. */
	loginTimeoutMs: () => ms('SPYRE_CLAUDE_LOGIN_TIMEOUT_MS', 10 * 60_000),
	/** The CLI must print its sign-in URL within this. */
	startTimeoutMs: () => ms('SPYRE_CLAUDE_START_TIMEOUT_MS', 30_000),
	/** After a code is relayed, the CLI must finish within this. */
	verifyTimeoutMs: () => ms('SPYRE_CLAUDE_VERIFY_TIMEOUT_MS', 90_000),
	/** The token-free health check. 0 turns it off. */
	healthIntervalMs: () => (process.env.SPYRE_CLAUDE_HEALTH_MS === '0' ? 0 : ms('SPYRE_CLAUDE_HEALTH_MS', 60_000))
};
