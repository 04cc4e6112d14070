// The one WebSocket upgrade router, used by server.js (production) and the Vite dev plugin. It checks
// Origin and the session cookie BEFORE upgrading (rejecting with an HTTP status), then hands the socket
// to the endpoint. Unknown paths get their socket destroyed.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { SESSION_COOKIE, cookieFromHeader, validateSession, type SessionUser } from '../auth';
import { getConfig } from '../env-config';
import { singleton } from '../singleton';
import { handleEvents } from './events';
import { originAllowed } from './origin';

export const WS_PATHS = ['/api/events', '/api/terminal/', '/api/claude/'];

export function isSpyreSocketPath(url: string | undefined): boolean {
	const pathname = (url ?? '').split('?')[0];
	return WS_PATHS.some((p) => (p.endsWith('/') ? pathname.startsWith(p) : pathname === p));
}

export interface SocketContext {
	user: SessionUser;
	ip: string;
	params: URLSearchParams;
}

type Route = (ws: WebSocket, ctx: SocketContext, match: RegExpExecArray) => void | Promise<void>;

const routes: Array<[RegExp, Route]> = [
	[/^\/api\/events$/, (ws, ctx) => handleEvents(ws, ctx.params)],
	[
		/^\/api\/terminal\/([A-Za-z0-9_-]{1,64})$/,
		async (ws, ctx, m) => {
			const { handleTerminal } = await import('./terminal');
			await handleTerminal(ws, { ...ctx, envId: m[1] });
		}
	]
];

const state = singleton('ws.state', () => ({
	wss: new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 }),
	closing: false
}));

function reject(socket: Duplex, status: number, reason: string): void {
	if (socket.writable) {
		socket.write(
			`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`
		);
	}
	socket.destroy();
}

function clientIp(req: IncomingMessage): string {
	// Behind Caddy the address header is configured for adapter-node; for sockets, trust X-Forwarded-For
	// only from a loopback peer (the local reverse proxy).
	const peer = req.socket.remoteAddress ?? '';
	const xff = req.headers['x-forwarded-for'];
	if (typeof xff === 'string' && /^(127\.|::1$|::ffff:127\.)/.test(peer)) {
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
	const route = routes.find(([re]) => re.test(url.pathname));
	if (!route) return void socket.destroy();

	let user: SessionUser | null = null;
	try {
		if (!originAllowed(req.headers.origin, req.headers.host, getConfig().server.publicUrl)) {
			return reject(socket, 403, 'Forbidden');
		}
		user = validateSession(cookieFromHeader(req.headers.cookie, SESSION_COOKIE))?.user ?? null;
	} catch (err) {
		console.error('[spyre] websocket upgrade failed:', (err as Error).message);
		return reject(socket, 500, 'Internal Server Error');
	}
	if (!user) return reject(socket, 401, 'Unauthorized');

	const ctx: SocketContext = { user, ip: clientIp(req), params: url.searchParams };
	const match = route[0].exec(url.pathname)!;
	state.wss.handleUpgrade(req, socket, head, (ws) => {
		ws.on('error', () => {});
		Promise.resolve(route[1](ws, ctx, match)).catch((err) => {
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
