// The one WebSocket upgrade router, used by server.js (production) and the Vite dev plugin. It checks
// Host, Origin and the session cookie BEFORE upgrading (rejecting with an HTTP status), then hands the
// socket to the endpoint. Unknown paths get their socket destroyed. Every open socket is tied to its
// session: when the session ends (sign-out, sign out everywhere, password change, expiry) the socket
// closes with 4401, announced on the session bus and re-checked periodically.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CLOSE } from '$lib/shared/terminal-protocol';
import { isLoopbackAddress } from '$lib/shared/validation/loopback';
import { matchSocketPath, type WsPath } from '$lib/shared/socket-paths';
import { isSessionActive, validateSession, type SessionUser } from '../auth';
import { sessionTokenFromHeader } from '../auth/session-cookie';
import { getConfig } from '../env-config';
import { hostAllowed, hostPolicy } from '../request-guard';
import { onSessionsEnded } from '../auth/session-bus';
import { singleton } from '../singleton';
import { handleEvents } from './events';
import { originAllowed } from './origin';

export interface SocketContext {
	user: SessionUser;
	ip: string;
	params: URLSearchParams;
}

type Route = (ws: WebSocket, ctx: SocketContext, id: string | null) => void | Promise<void>;

// One handler per path of WS_PATHS (the type makes a path without a handler a compile error); the path
// and the id rule are matched by matchSocketPath, never here. A prefix path's match always carries its id.
const routes: Record<WsPath, Route> = {
	'/api/events': (ws, ctx) => handleEvents(ws, ctx.params),
	'/api/terminal/': async (ws, ctx, id) => {
		const { handleTerminal } = await import('../terminal');
		await handleTerminal(ws, { ...ctx, envId: id! });
	},
	'/api/claude/': async (ws, ctx, id) => {
		const { handleTaskSocket } = await import('../claude/tasks');
		handleTaskSocket(ws, id!, ctx.params);
	}
};

/** How often open sockets re-check that their session is still valid (catches plain expiry). Tests shorten it. */
export const SESSION_CHECK_MS = Number(process.env.SPYRE_SESSION_CHECK_MS) || 30 * 1000;

const state = singleton('ws.state', () => ({
	wss: new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 }),
	closing: false,
	/** Open socket -> the SHA-256 of the session token it was opened with. */
	sessions: new Map<WebSocket, string>(),
	sessionWatch: null as null | { stop: () => void }
}));

function closeForEndedSession(ws: WebSocket): void {
	state.sessions.delete(ws);
	if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(CLOSE.UNAUTHENTICATED, 'session ended');
}

/** Start listening for ended sessions (once per process): bus events at once, expiry every 30 s. */
function watchSessions(): void {
	if (state.sessionWatch) return;
	const off = onSessionsEnded((hashes) => {
		const ended = new Set(hashes);
		for (const [ws, hash] of state.sessions) if (ended.has(hash)) closeForEndedSession(ws);
	});
	const timer = setInterval(() => {
		try {
			const verdict = new Map<string, boolean>();
			for (const [ws, hash] of state.sessions) {
				if (!verdict.has(hash)) verdict.set(hash, isSessionActive(hash));
				if (!verdict.get(hash)) closeForEndedSession(ws);
			}
		} catch (err) {
			console.error('[spyre] websocket session check failed:', (err as Error).message);
		}
	}, SESSION_CHECK_MS);
	timer.unref();
	state.sessionWatch = { stop: () => (off(), clearInterval(timer)) };
}

function reject(socket: Duplex, status: number, reason: string): void {
	if (socket.writable) {
		socket.write(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`);
	}
	socket.destroy();
}

/** The host the client addressed: behind Caddy the forwarded one (HOST_HEADER, as adapter-node reads it). */
function requestHost(req: IncomingMessage): string | undefined {
	const header = process.env.HOST_HEADER?.toLowerCase();
	const forwarded = header ? req.headers[header] : undefined;
	if (typeof forwarded === 'string' && forwarded) return forwarded;
	return req.headers.host;
}

function clientIp(req: IncomingMessage): string {
	// Behind Caddy the address header is configured for adapter-node; for sockets, trust X-Forwarded-For
	// only from a loopback peer (the local reverse proxy).
	const peer = req.socket.remoteAddress ?? '';
	const xff = req.headers['x-forwarded-for'];
	if (typeof xff === 'string' && isLoopbackAddress(peer)) {
		const last = xff.split(',').at(-1)?.trim();
		if (last) return last;
	}
	return peer;
}

export function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
	socket.on('error', () => socket.destroy());
	if (state.closing) return reject(socket, 503, 'Service Unavailable');
	let url: URL;
	try {
		url = new URL(req.url ?? '/', 'http://localhost');
	} catch {
		return reject(socket, 400, 'Bad Request');
	}
	const match = matchSocketPath(url.pathname);
	if (!match) return void socket.destroy();

	let session: ReturnType<typeof validateSession>;
	try {
		const publicUrl = getConfig().server.publicUrl;
		const host = requestHost(req);
		if (!hostAllowed(host, hostPolicy(publicUrl))) return reject(socket, 421, 'Misdirected Request');
		if (!originAllowed(req.headers.origin, host, publicUrl)) {
			return reject(socket, 403, 'Forbidden');
		}
		session = validateSession(sessionTokenFromHeader(req.headers.cookie));
	} catch (err) {
		console.error('[spyre] websocket upgrade failed:', (err as Error).message);
		return reject(socket, 500, 'Internal Server Error');
	}
	if (!session) return reject(socket, 401, 'Unauthorized');

	watchSessions();
	const tokenHash = session.tokenHash;
	const ctx: SocketContext = { user: session.user, ip: clientIp(req), params: url.searchParams };
	state.wss.handleUpgrade(req, socket, head, (ws) => {
		ws.on('error', () => {});
		state.sessions.set(ws, tokenHash);
		ws.once('close', () => state.sessions.delete(ws));
		Promise.resolve(routes[match.path](ws, ctx, match.id)).catch((err) => {
			console.error('[spyre] websocket handler failed:', (err as Error).message);
			if (ws.readyState === ws.OPEN) {
				ws.send(JSON.stringify({ type: 'error', code: 'internal', message: 'Internal error' }));
				ws.close(1011, 'internal error');
			}
		});
	});
}

/** Close every socket with 1001 (going away) and refuse new upgrades. */
export async function closeAllSockets(): Promise<void> {
	state.closing = true;
	state.sessionWatch?.stop();
	state.sessionWatch = null;
	const clients = [...state.wss.clients];
	await Promise.all(
		clients.map(
			(ws) =>
				new Promise<void>((resolve) => {
					if (ws.readyState === ws.CLOSED) return resolve();
					const timer = setTimeout(() => {
						ws.terminate();
						resolve();
					}, 1000);
					ws.once('close', () => {
						clearTimeout(timer);
						resolve();
					});
					ws.close(1001, 'server shutting down');
				})
		)
	);
}

export function openSocketCount(): number {
	return state.wss.clients.size;
}
