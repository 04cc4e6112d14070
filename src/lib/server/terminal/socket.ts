// The terminal WebSocket endpoint (/api/terminal/:envId?window=N&cols=&rows=), after the upgrade router has
// authenticated the user and checked Origin. Owns one browser connection: validate, attach to the tmux
// window over the SSH pool, replay history, pipe bytes both ways with backpressure, detach on close.
// Binary frames are terminal bytes, text frames are JSON control (see $lib/terminal-protocol).
// Never lets an exception escape (the process must stay up) and never records keystrokes.

import type { WebSocket, RawData } from 'ws';
import { CLOSE, encodeControl, parseClientControl, parseConnectParams, type ServerControl } from '$lib/shared/terminal-protocol';
import { record } from '../audit';
import { getDb, type Db } from '../db';
import { SpyreError, isSpyreError, messageOf } from '../errors';
import { requireReachable } from '../environments/reachable';
import { getEnvironment } from '../environments/repo';
import * as lifecycle from '../lifecycle';
import { getSshPool, type SshPool, type SshTarget } from '../ssh';
import { createOutputPump, terminalStats } from './output-pump';
import { isOpen, linkOf, openingState, transition, type TerminalEffect, type TerminalEvent, type TerminalState } from './session-state';
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
	/** Start a stopped environment and wait for SSH (default: the lifecycle's one wake). */
	wake?: typeof lifecycle.wake;
}

/** Delay between tmux's first output and releasing held keys: time to switch the PTY to raw mode. */
const DRAW_SETTLE_MS = 50;

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

/** The end of a connection for an error: its close code, and the message the browser shows. */
function endFor(err: unknown): TerminalEvent<tmux.Attachment> {
	const spyre = isSpyreError(err) ? err : new SpyreError('internal', 'The terminal failed unexpectedly.');
	if (!isSpyreError(err)) console.error('[spyre] terminal:', messageOf(err));
	return { type: 'end', code: closeCodeFor(err), message: { type: 'error', code: spyre.code, message: spyre.message }, reason: spyre.code };
}

async function runTerminal(ws: WebSocket, ctx: TerminalContext, deps: TerminalDeps): Promise<void> {
	const pool = deps.pool ?? getSshPool();
	const db = deps.db ?? getDb();
	const high = deps.highWaterMark ?? 1024 * 1024;
	const low = deps.lowWaterMark ?? 256 * 1024;
	const actor = { userId: ctx.user.id, username: ctx.user.username, ip: ctx.ip };
	const tmuxOpts = { pool, session: deps.session };
	const audit = (action: string, outcome: 'success' | 'failure', detail: string) => safeRecord(db, actor, action, ctx.envId, outcome, detail);

	const send = (msg: ServerControl) => {
		if (ws.readyState === ws.OPEN) ws.send(encodeControl(msg));
	};
	const write = (attachment: tmux.Attachment, chunks: Buffer[]) => {
		for (const chunk of chunks) {
			if (attachment.pty.stream.write(chunk)) continue;
			// Input flood: stop reading the browser's socket until SSH has taken what we gave it.
			ws.pause();
			attachment.pty.stream.once('drain', () => ws.resume());
		}
	};
	const perform = (effect: TerminalEffect<tmux.Attachment>): Promise<void> | void => {
		switch (effect.do) {
			case 'write':
				return write(effect.attachment, effect.chunks);
			case 'close':
				if (effect.message) send(effect.message);
				if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(effect.code, effect.reason.slice(0, 120));
				return;
			case 'begin':
				terminalStats.active++;
				terminalStats.attaches++;
				return audit('terminal.attach', 'success', `window ${effect.link.window}`);
			case 'detach':
				if (effect.counted) {
					terminalStats.active--;
					audit('terminal.detach', 'success', `window ${effect.link.window} after ${Math.round((Date.now() - effect.link.attachedAt) / 1000)} s`);
				}
				return effect.link.attachment.detach().catch(() => {});
		}
	};

	// The connection's whole state; only dispatch() changes it (transitions in session-state.ts).
	let state: TerminalState<tmux.Attachment> = openingState(ws.readyState === ws.OPEN);
	const dispatch = (event: TerminalEvent<tmux.Attachment>): Promise<unknown> => {
		const next = transition(state, event);
		state = next.state;
		return Promise.all(next.effects.map(perform));
	};
	// A function, not `state.kind` inline: the socket can close during any await below.
	const socketClosed = () => state.kind === 'closed';

	ws.on('message', (data: RawData, isBinary: boolean) => {
		try {
			const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
			if (!isBinary) {
				const parsed = parseClientControl(buf.toString('utf8'));
				if (!parsed.ok) {
					send({ type: 'error', code: 'bad_request', message: parsed.error });
					return;
				}
				linkOf(state)?.attachment.pty.resize(parsed.value.cols, parsed.value.rows);
				return;
			}
			void dispatch({ type: 'input', bytes: buf });
		} catch (err) {
			console.error('[spyre] terminal: message handling failed:', messageOf(err));
		}
	});
	ws.on('error', () => {
		// 'close' follows; nothing else to do. Without a listener, ws errors would be thrown.
	});
	ws.on('close', () => void dispatch({ type: 'socket-closed' }));

	// 1. Validate the request.
	const params = parseConnectParams(ctx.params);
	if (!params.ok) return void dispatch(endFor(new SpyreError('validation', params.error)));
	const { cols, rows } = params.value;

	// 2. The environment must exist, have an address and be running. A stopped one is started first (the
	// terminal says so meanwhile); one that cannot be started gets a conflict (4409): the browser shows the
	// message instead of retrying. An open terminal is activity: the idle stop leaves the environment alone.
	let target: SshTarget;
	try {
		const row = getEnvironment(ctx.envId, db);
		if (row) {
			const release = lifecycle.hold(row.id, 'terminal');
			ws.once('close', release);
			if (socketClosed()) release();
		}
		if (row && lifecycle.wakeable(row)) {
			send({ type: 'status', state: 'connecting', message: `Starting ${row.hostname}…` });
			if (ws.readyState === ws.OPEN) ws.send(Buffer.from(`Starting ${row.hostname}…\r\n`, 'utf8'));
			await (deps.wake ?? lifecycle.wake)(row.id, actor);
			if (socketClosed()) return;
		}
		target = requireReachable(ctx.envId, db);
	} catch (err) {
		audit('terminal.attach', 'failure', messageOf(err));
		return void dispatch(endFor(err));
	}

	// 3. Connect, make sure the session exists, find the window, replay history, attach.
	send({ type: 'status', state: 'connecting' });
	let windows: tmux.TmuxWindow[];
	let found: tmux.TmuxWindow;
	let history: string;
	let attachment: tmux.Attachment;
	try {
		await tmux.ensureSession(target, tmuxOpts);
		windows = await tmux.listWindows(target, tmuxOpts);
		const wanted = params.value.window;
		const match = wanted === null ? (windows.find((w) => w.active) ?? windows[0]) : windows.find((w) => w.index === wanted);
		if (!match) throw new SpyreError('not_found', `Window ${wanted} does not exist in environment ${ctx.envId}.`);
		found = match;
		if (socketClosed()) return;
		history = await tmux.captureHistory(target, found.index, deps.historyLines ?? 5000, tmuxOpts);
		if (socketClosed()) return;
		attachment = await tmux.attachToWindow(target, found.index, { ...tmuxOpts, cols, rows });
	} catch (err) {
		audit('terminal.attach', 'failure', messageOf(err));
		return void dispatch(endFor(err));
	}
	// If the socket closed meanwhile, this detaches at once.
	await dispatch({ type: 'attached', link: { attachment, window: found.index, windowId: found.id, attachedAt: Date.now() } });
	if (state.kind !== 'starting') return;

	const stream = attachment.pty.stream;
	// Keys typed before tmux has drawn are held (session-state.ts); release them on its first output. Keys
	// typed in the settle moment keep queueing behind them, so the order is kept.
	stream.once('data', () => setTimeout(() => void dispatch({ type: 'drawn' }), DRAW_SETTLE_MS));
	// History first (pushed fully into the browser's scrollback with rows-1 line feeds, because tmux
	// clears the screen when it attaches), then live bytes.
	if (history) ws.send(Buffer.from(history + '\r\n'.repeat(Math.max(0, rows - 1)), 'utf8'));
	send({ type: 'ready', window: found.index, windows });
	send({ type: 'status', state: 'connected' });

	createOutputPump(ws, stream, { high, low });
	stream.stderr.on('data', (chunk: Buffer) => {
		if (ws.readyState === ws.OPEN) ws.send(chunk);
	});

	attachment.pty.onConnectionLost((err) => {
		void dispatch({
			type: 'end',
			code: CLOSE.SSH_LOST,
			message: { type: 'status', state: 'disconnected', message: `${err.message} Reconnecting…` },
			reason: 'ssh connection lost'
		});
	});
	void attachment.pty.closed.then(async ({ code }) => {
		if (!isOpen(state)) return;
		// The channel closing says that this tmux client ended, not why. Only "the window is gone" may end
		// the browser's terminal for good (1000). When sshd dies, the session's tmux client usually dies a
		// moment before the TCP connection does, so its channel closes first, and the lost connection
		// shows up only later (no fixed delay covers that); and a client killed on its own leaves the
		// window in place. So ask tmux.
		const gone = await windowGone(target, found.id, tmuxOpts);
		if (!isOpen(state)) return;
		if (gone) await dispatch({ type: 'end', code: CLOSE.NORMAL, message: { type: 'exit', code: code ?? undefined }, reason: 'terminal exited' });
		else
			await dispatch({
				type: 'end',
				code: CLOSE.SSH_LOST,
				message: { type: 'status', state: 'disconnected', message: 'The terminal connection to the environment ended. Reconnecting…' },
				reason: 'terminal client ended'
			});
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

function safeRecord(db: Db, actor: { userId: number; username: string; ip: string }, action: string, target: string, outcome: 'success' | 'failure', detail: string) {
	try {
		record(actor, action, target, outcome, detail, db);
	} catch (err) {
		console.error('[spyre] terminal: audit failed:', messageOf(err));
	}
}
