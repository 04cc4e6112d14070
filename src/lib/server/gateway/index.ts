// The SSH gateway as a background service: `ssh <environment>@<spyre host> -p <port>` (ssh.gateway in
// environment.yaml; off unless set). Owns the one running gateway server, its host key's fingerprint for
// Settings, and the count of open sessions per environment (`gatewaySessions`, an activity signal). The
// pieces: server.ts (the SSH side), keys.ts (owners' public keys), policy.ts (what a client may ask for),
// wake.ts (start a stopped environment), sessions.ts (counts and audit), host-key.ts.
// Used as `import * as gateway from '$lib/server/gateway'`.

import { getDb } from '../db';
import { getConfig } from '../env-config';
import { findByHostname } from '../environments/repo';
import { singleton } from '../singleton';
import { getSshPool } from '../ssh';
import { loadOrCreateHostKey } from './host-key';
import * as keys from './keys';
import { loginUserOf } from './login-user';
import { createGatewayServer, type GatewayServer } from './server';
import { reachOrStart } from './wake';

export { gatewaySessions } from './sessions';
export * as keys from './keys';

const state = singleton('gateway', () => ({ server: null as GatewayServer | null, fingerprint: null as string | null, port: null as number | null, unsubscribe: null as (() => void) | null }));

/** What Settings and the environment page show: off, or where it listens and its host key's fingerprint. */
export function gatewayInfo(): { enabled: false } | { enabled: true; host: string; port: number; fingerprint: string | null; running: boolean } {
	const cfg = getConfig().ssh.gateway;
	if (!cfg) return { enabled: false };
	return { enabled: true, host: cfg.publicHost, port: state.port ?? cfg.port, fingerprint: state.fingerprint, running: state.server !== null };
}

export async function startGateway(): Promise<string | null> {
	const cfg = getConfig().ssh.gateway;
	if (!cfg || state.server) return null;
	const hostKey = loadOrCreateHostKey(cfg.hostKeyPath);
	const db = getDb();
	const server = createGatewayServer({
		hostKey,
		pool: getSshPool(),
		findKey: (blob) => keys.findByBlob(blob),
		findEnvironment: (name) => {
			const row = name.length <= 63 ? findByHostname(name) : undefined;
			return row ? { id: row.id, hostname: row.hostname } : null;
		},
		usernameOf: (userId) => (db.prepare('SELECT username FROM users WHERE id = ?').get(userId) as { username: string } | undefined)?.username ?? null,
		keyUsed: (key) => keys.touch(key.id),
		reach: (envId, actor, say) => reachOrStart(envId, actor, say),
		loginUser: (envId) => loginUserOf(envId)
	});
	state.port = await server.listen(cfg.host, cfg.port);
	state.server = server;
	state.fingerprint = hostKey.fingerprint;
	// A removed key is refused at once: new attempts read the table; its open connections end here.
	state.unsubscribe = keys.onKeyRemoved((key) => server.dropKey(key.id));
	return `${cfg.host}:${state.port} (host key ${hostKey.fingerprint})`;
}

export async function stopGateway(): Promise<void> {
	const server = state.server;
	state.unsubscribe?.();
	state.server = null;
	state.unsubscribe = null;
	state.port = null;
	await server?.close();
}
