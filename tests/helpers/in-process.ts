// For tests that drive Spyre's server modules in-process instead of starting the server: the one part of
// runtime.start() they need. The process-wide SSH pool refuses to exist until start-up hands it a
// host-key store; here it is the same one the server uses (pins in the environments table).
// Imported lazily, so a test sets SPYRE_CONFIG before any server module loads.

export async function useEnvironmentHostKeys(): Promise<void> {
	const { useHostKeyStore } = await import('../../src/lib/server/ssh');
	const { dbHostKeyStore } = await import('../../src/lib/server/environments/host-keys');
	useHostKeyStore(dbHostKeyStore());
}
