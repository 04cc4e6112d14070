// Tunables of the lifecycle steps, in one object so tests can shorten the waits.

export const timings = {
	startConfirmMs: 30_000,
	sshVerifyMs: 60_000,
	shutdownTimeoutS: 30,
	pollMs: 500
};
