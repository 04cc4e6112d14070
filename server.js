// Production entry: `node server.js`. Serves the built SvelteKit app and hands WebSocket upgrades to the
// handler that runtime.start() (run by hooks.server.ts `init`) registered on globalThis (same module graph as the routes).
// Never import src/lib/server from here: that would create a second DB handle and SSH pool.

import http from 'node:http';

const UPGRADE_KEY = Symbol.for('spyre.upgrade');
const SHUTDOWN_KEY = Symbol.for('spyre.shutdown');
const LISTEN_KEY = Symbol.for('spyre.listen');

// adapter-node assumes https when neither ORIGIN nor PROTOCOL_HEADER is set, which breaks same-origin
// checks on a plain-http demo. Unless a reverse-proxy header is configured (spyre.service sets
// X-Forwarded-Proto for Caddy), tell it the protocol each request really arrived on, in a header that
// this server always overwrites so a client cannot forge it.
const OWN_PROTO_HEADER = 'x-spyre-proto';
const ownProto = !process.env.ORIGIN && !process.env.PROTOCOL_HEADER;
if (ownProto) process.env.PROTOCOL_HEADER = OWN_PROTO_HEADER;

let handler;
try {
	({ handler } = await import('./build/handler.js'));
} catch (err) {
	if (err && err.name === 'ConfigError') {
		console.error(`spyre: ${err.message}`);
	} else if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('build/handler.js')) {
		console.error('spyre: the app is not built. Run `npm run build` first (./setup.sh does it for you).');
	} else if (err && err.name === 'SpyreError') {
		console.error(`spyre: ${err.message}`);
	} else {
		console.error('spyre: failed to start:', err && err.stack ? err.stack : err);
	}
	process.exit(1);
}

// The effective address, published by runtime.start() from the config (which already applied PORT/HOST,
// see src/lib/server/env-config/listen-env.ts). Never read PORT/HOST here: one rule, in one place.
const listen = globalThis[LISTEN_KEY];
if (!listen || typeof listen.port !== 'number' || typeof listen.host !== 'string') {
	console.error('spyre: failed to start: the app did not publish its listen address (hooks.server.ts init did not run)');
	process.exit(1);
}
const { port, host } = listen;

const server = http.createServer((req, res) => {
	if (ownProto) req.headers[OWN_PROTO_HEADER] = req.socket.encrypted ? 'https' : 'http';
	handler(req, res);
});
server.on('upgrade', (req, socket, head) => {
	const handle = globalThis[UPGRADE_KEY];
	if (typeof handle !== 'function') return socket.destroy();
	handle(req, socket, head);
});

server.on('error', (err) => {
	console.error(`spyre: cannot listen on ${host}:${port}: ${err.message}`);
	process.exit(1);
});

server.listen(port, host, () => {
	const shown = host.includes(':') ? `[${host}]` : host;
	console.log(`spyre: listening on http://${shown}:${server.address().port}`);
	if (listen.publicUrl) console.log(`spyre: public URL ${listen.publicUrl}`);
});

let stopping = false;
async function stop(signal) {
	if (stopping) return;
	stopping = true;
	console.log(`spyre: ${signal} received, shutting down`);
	const force = setTimeout(() => {
		console.error('spyre: shutdown took longer than 4.5 s, exiting');
		process.exit(1);
	}, 4500);
	force.unref();
	server.close();
	server.closeIdleConnections?.();
	try {
		await globalThis[SHUTDOWN_KEY]?.();
	} catch (err) {
		console.error('spyre: shutdown error:', err && err.message ? err.message : err);
	}
	server.closeAllConnections?.();
	clearTimeout(force);
	console.log('spyre: stopped');
	process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
