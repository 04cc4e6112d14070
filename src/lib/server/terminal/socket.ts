// The terminal WebSocket endpoint (/api/terminal/:envId?window=N&cols=&rows=), after the upgrade router has
// authenticated the user and checked Origin. Owns one browser connection: validate, attach to the tmux
// window over the SSH pool, replay history, pipe bytes both ways with backpressure, detach on close.
// Binary frames are terminal bytes, text frames are JSON control (see $lib/terminal-protocol).
// Never lets an exception escape (the process must stay up) and never records keystrokes.

import type { WebSocket, RawData } from 'ws';
import type { Socket } from 'node:net';
import { CLOSE, encodeControl, parseClientControl, parseConnectParams, type ServerControl } from '$lib/terminal-protocol';
import { record } from '../audit';
import { getDb, type Db } from '../db';
import { SpyreError, isSpyreError, messageOf } from '../errors';
import { requireReachable } from '../environments/reachable';
import { getSshPool, type SshPool, type SshTarget } from '../ssh';
import * as tmux from './tmux-controller';

export interface TerminalContext {
	user: { id: number; username: string };
	ip: string;
	envId: string;
	params: URLSearchParams;
}

/** Injection points for tests; production uses the process-wide pool and DB. */
export interface TerminalDeps {
	pool?: SshPool;
	db?: Db;
	session?: string;
	/** Lines of pane history replayed before live output (default 5000). */
	historyLines?: number;
	/** Pause the SSH stream when this much is queued for the browser (default 1 MiB). */
	highWaterMark?: number;
	/** Resume when the queue drops below this (default 256 KiB). */
	lowWaterMark?: number;
}

const MAX_PENDING_INPUT = 64 * 1024;
const DRAIN_POLL_MS = 20;

/** Counters for benchmarks and tests. */
export const terminalStats = { active: 0, attaches: 0, pauses: 0, maxBufferedAmount: 0 };

function closeCodeFor(err: unknown): number {
	if (!isSpyreError(err)) return CLOSE.INTERNAL;
	switch (err.code) {
		case 'not_found':
			return CLOSE.NOT_FOUND;
		case 'validation':
		case 'bad_request':
			return CLOSE.BAD_REQUEST;
		case 'conflict':
		case 'ssh_auth':
		case 'ssh_host_key':
			return CLOSE.CONFLICT;
		case 'ssh':
		case 'timeout':
			return CLOSE.SSH_LOST;
		default:
			return CLOSE.INTERNAL;
	}
}

export async function handleTerminal(ws: WebSocket, ctx: TerminalContext, deps: TerminalDeps = {}): Promise<void> {
	try {
		await runTerminal(ws, ctx, deps);
	} catch (err) {
		// Last line of defence: anything unexpected closes this one socket, not the process.
		console.error('[spyre] terminal: unexpected error:', messageOf(err));
		try {
			if (ws.readyState === ws.OPEN) ws.close(CLOSE.INTERNAL, 'internal error');
		} catch {
			// Socket already gone.
		}
	}
}

async function runTerminal(ws: WebSocket, ctx: TerminalContext, deps: TerminalDeps): Promise<void> {
	const pool = deps.pool ?? getSshPool();
	const db = deps.db ?? getDb();
	const high = deps.highWaterMark ?? 1024 * 1024;
	const low = deps.lowWaterMark ?? 256 * 1024;
	const actor = { userId: ctx.user.id, username: ctx.user.username, ip: ctx.ip };
	const tmuxOpts = { pool, session: deps.session };

	let wsClosed = ws.readyState !== ws.OPEN;
	let attachment: tmux.Attachment | null = null;
	let window = -1;
	let windowId = '';
	let attachedAt = 0;
	let ptyStarted = false;
	let pendingInput: Buffer[] = [];
	let pendingBytes = 0;
	let ending = false;

	const send = (msg: ServerControl) => {
		if (ws.readyState === ws.OPEN) ws.send(encodeControl(msg));
	};
	const finish = (code: number, msg?: ServerControl, reason = '') => {
		if (ending) return;
		ending = true;
		if (msg) send(msg);
		if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason.slice(0, 120));
	};
	const fail = (err: unknown) => {
		const code = closeCodeFor(err);
		const spyre = isSpyreError(err) ? err : new SpyreError('internal', 'The terminal failed unexpectedly.');
		if (!isSpyreError(err)) console.error('[spyre] terminal:', messageOf(err));
		finish(code, { type: 'error', code: spyre.code, message: spyre.message }, spyre.code);
	};

	const writeInput = (data: Buffer) => {
		if (!attachment) return;
		const ok = attachment.pty.stream.write(data);
		if (!ok) {
			// Input flood: stop reading the browser's socket until SSH has taken what we gave it.
			const sock = (ws as unknown as { _socket?: Socket })._socket;
			sock?.pause();
			attachment.pty.stream.once('drain', () => sock?.resume());
		}
	};

	ws.on('message', (data: RawData, isBinary: boolean) => {
		try {
			const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
			if (!isBinary) {
				const parsed = parseClientControl(buf.toString('utf8'));
				if (!parsed.ok) {
					send({ type: 'error', code: 'bad_request', message: parsed.error });
					return;
				}
				attachment?.pty.resize(parsed.value.cols, parsed.value.rows);
				return;
			}
			if (!attachment || !ptyStarted) {
				// Keys typed before tmux has drawn would land in the bare PTY and be lost: hold them.
				if (pendingBytes + buf.length <= MAX_PENDING_INPUT) {
					pendingInput.push(buf);
					pendingBytes += buf.length;
				}
				return;
			}
			writeInput(buf);
		} catch (err) {
			console.error('[spyre] terminal: message handling failed:', messageOf(err));
		}
	});
	ws.on('error', () => {
		// 'close' follows; nothing else to do. Without a listener, ws errors would be thrown.
	});
	ws.on('close', () => {
		wsClosed = true;
		if (attachment) {
			const a = attachment;
			attachment = null;
			terminalStats.active--;
			a.detach().catch(() => {});
			safeRecord(db, actor, 'terminal.detach', ctx.envId, 'success', `window ${window} after ${Math.round((Date.now() - attachedAt) / 1000)} s`);
		}
	});

	// 1. Validate the request.
	const params = parseConnectParams(ctx.params);
	if (!params.ok) return fail(new SpyreError('validation', params.error));
	const { cols, rows } = params.value;

	// 2. The environment must exist, have an address and be running.
	// A stopped environment gets a conflict (4409): the browser shows the message instead of retrying.
	let target;
	try {
		target = requireReachable(ctx.envId, db);
	} catch (err) {
		safeRecord(db, actor, 'terminal.attach', ctx.envId, 'failure', messageOf(err));
		return fail(err);
	}

	// 3. Connect, make sure the session exists, find the window, replay history, attach.
	send({ type: 'status', state: 'connecting' });
	let windows: tmux.TmuxWindow[];
	let history: string;
	try {
		await tmux.ensureSession(target, tmuxOpts);
		windows = await tmux.listWindows(target, tmuxOpts);
		const wanted = params.value.window;
		const found = wanted === null ? (windows.find((w) => w.active) ?? windows[0]) : windows.find((w) => w.index === wanted);
		if (!found) throw new SpyreError('not_found', `Window ${wanted} does not exist in environment ${ctx.envId}.`);
		window = found.index;
		windowId = found.id;
		if (wsClosed) return;
		history = await tmux.captureHistory(target, window, deps.historyLines ?? 5000, tmuxOpts);
		if (wsClosed) return;
		attachment = await tmux.attachToWindow(target, window, { ...tmuxOpts, cols, rows });
	} catch (err) {
		safeRecord(db, actor, 'terminal.attach', ctx.envId, 'failure', messageOf(err));
		return fail(err);
	}
	if (wsClosed) {
		await attachment.detach().catch(() => {});
		attachment = null;
		return;
	}
	attachedAt = Date.now();
	terminalStats.active++;
	terminalStats.attaches++;
	safeRecord(db, actor, 'terminal.attach', ctx.envId, 'success', `window ${window}`);

	const att = attachment;
	const stream = att.pty.stream;
	// Keys typed before tmux has drawn are held (see 'message'); release them on its first output.
	stream.once('data', () => {
		// Give tmux a moment to switch the PTY to raw mode before the held keys arrive; keys typed in
		// that moment keep queueing behind them, so the order is kept.
		setTimeout(() => {
			ptyStarted = true;
			const queued = pendingInput;
			pendingInput = [];
			pendingBytes = 0;
			queued.forEach(writeInput);
		}, 50);
	});
	// History first (pushed fully into the browser's scrollback with rows-1 line feeds, because tmux
	// clears the screen when it attaches), then live bytes.
	if (history) ws.send(Buffer.from(history + '\r\n'.repeat(Math.max(0, rows - 1)), 'utf8'));
	send({ type: 'ready', window, windows });
	send({ type: 'status', state: 'connected' });

	createOutputPump(ws, stream, { high, low });
	stream.stderr.on('data', (chunk: Buffer) => {
		if (ws.readyState === ws.OPEN) ws.send(chunk);
	});

	let lost = false;
	att.pty.onConnectionLost((err) => {
		lost = true;
		finish(
			CLOSE.SSH_LOST,
			{ type: 'status', state: 'disconnected', message: `${err.message} Reconnecting…` },
			'ssh connection lost'
		);
	});
	att.pty.closed.then(async ({ code }) => {
		if (lost || wsClosed) return;
		// The channel closing says that this tmux client ended, not why. Only "the window is gone" may end
		// the browser's terminal for good (1000). When sshd dies, the session's tmux client usually dies a
		// moment before the TCP connection does, so its channel closes first, and the lost connection
		// shows up only later (no fixed delay covers that); and a client killed on its own leaves the
		// window in place. So ask tmux.
		const gone = await windowGone(target, windowId, tmuxOpts);
		if (lost || wsClosed) return;
		if (gone) finish(CLOSE.NORMAL, { type: 'exit', code: code ?? undefined }, 'terminal exited');
		else
			finish(
				CLOSE.SSH_LOST,
				{ type: 'status', state: 'disconnected', message: 'The terminal connection to the environment ended. Reconnecting…' },
				'terminal client ended'
			);
	});
}

/** Whether the window (by tmux id) no longer exists; false when that cannot be told (SSH down). */
async function windowGone(target: SshTarget, windowId: string, opts: tmux.TmuxOptions): Promise<boolean> {
	try {
		const windows = await tmux.listWindows(target, { ...opts, timeoutMs: 5000 });
		return !windows.some((w) => w.id === windowId);
	} catch (err) {
		// No session (its last window closed) is "gone"; an SSH failure is not.
		return isSpyreError(err) && err.code === 'not_found';
	}
}

function safeRecord(
	db: Db,
	actor: { userId: number; username: string; ip: string },
	action: string,
	target: string,
	outcome: 'success' | 'failure',
	detail: string
) {
	try {
		record(actor, action, target, outcome, detail, db);
	} catch (err) {
		console.error('[spyre] terminal: audit failed:', messageOf(err));
	}
}

type PumpSocket = Pick<WebSocket, 'send' | 'bufferedAmount' | 'readyState' | 'OPEN'>;
type PumpStream = Pick<NodeJS.ReadableStream, 'on' | 'pause' | 'resume' | 'isPaused'>;

/**
 * Copy terminal output to the browser with backpressure: when more than `high` bytes are queued in the
 * WebSocket (the browser or its network is slower than the program's output), pause the SSH stream;
 * SSH flow control then stops the remote side. Resume once the queue is below `low`. Polling is used
 * because ws emits no drain event; 20 ms is far below what a person notices.
 */
export function createOutputPump(
	ws: PumpSocket,
	stream: PumpStream,
	opts: { high: number; low: number; pollMs?: number }
): { stop(): void } {
	let timer: NodeJS.Timeout | null = null;
	const stop = () => {
		if (timer) clearInterval(timer);
		timer = null;
	};
	stream.on('data', (chunk: Buffer) => {
		if (ws.readyState !== ws.OPEN) return;
		ws.send(chunk);
		const buffered = ws.bufferedAmount;
		if (buffered > terminalStats.maxBufferedAmount) terminalStats.maxBufferedAmount = buffered;
		if (buffered > opts.high && !stream.isPaused()) {
			terminalStats.pauses++;
			stream.pause();
			if (timer) return;
			timer = setInterval(() => {
				if (ws.readyState !== ws.OPEN) return stop();
				if (ws.bufferedAmount < opts.low) {
					stop();
					stream.resume();
				}
			}, opts.pollMs ?? DRAIN_POLL_MS);
		}
	});
	stream.on('close', stop);
	return { stop };
}
