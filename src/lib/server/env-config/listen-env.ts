// The one place the PORT and HOST environment variables act: they replace server.port / server.host in the
// document before validation, so every reader (server.js via the listen record runtime.start() publishes, the
// setup-code rule, Caddy's forward_auth dial) sees the address Spyre really listens on. Must never be read
// anywhere else: a second reading of PORT/HOST is how forward_auth once dialled the wrong port.

import { ConfigError } from './errors';

type Env = Readonly<Record<string, string | undefined>>;

/** `raw` with PORT/HOST from `env` applied over server.port/server.host. Bad values name the variable. */
export function applyListenEnv(raw: Record<string, unknown>, env: Env): Record<string, unknown> {
	const { PORT: port, HOST: host } = env;
	if (port === undefined && host === undefined) return raw;
	const problems: string[] = [];
	if (port !== undefined && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
		problems.push('PORT (environment variable, overrides server.port): must be a port number from 1 to 65535');
	}
	if (host !== undefined && !/^\S+$/.test(host)) {
		problems.push('HOST (environment variable, overrides server.host): must be a non-empty address without spaces');
	}
	if (problems.length > 0) throw new ConfigError(`The environment has ${problems.length === 1 ? 'a bad value' : 'bad values'}:\n  - ${problems.join('\n  - ')}`, problems);
	const server = typeof raw.server === 'object' && raw.server !== null && !Array.isArray(raw.server) ? (raw.server as Record<string, unknown>) : null;
	// A missing or malformed server section is the schema's to report; nothing to override in it.
	if (!server) return raw;
	return {
		...raw,
		server: { ...server, ...(port !== undefined && { port: Number(port) }), ...(host !== undefined && { host }) }
	};
}
