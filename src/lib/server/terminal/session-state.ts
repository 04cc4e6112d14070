// The states of one browser terminal connection and the one function that moves between them. Pure: a
// transition returns the next state and what to do (effects); socket.ts does the I/O. So the rules — keys
// typed before tmux has drawn are held and sent in order, a connection ends once, a detach happens once
// and only for an attachment that was counted — are in one place and testable without a socket or SSH.
//
//   opening ──attached──▶ starting ──drawn──▶ live
//      └──────── end ─────────┴───── end ───────┴──▶ ending
//   any state ──socket closed──▶ closed (detaching what was attached)

import type { ServerControl } from '$lib/shared/terminal-protocol';

/** Keys held while tmux is not ready, at most (a paste into a slow connect must not grow memory). */
export const MAX_HELD_INPUT = 64 * 1024;

/** An attachment to a tmux window, as the state machine sees it: an opaque handle plus what the audit says. */
export interface Link<A> {
	attachment: A;
	window: number;
	windowId: string;
	attachedAt: number;
}

/** Keys held for later. The array is owned by the state and appended in place (no copy per keystroke). */
export interface Held {
	chunks: Buffer[];
	bytes: number;
}

export type TerminalState<A> =
	/** Validating, connecting, replaying history: no PTY yet; keys are held. */
	| { kind: 'opening'; held: Held }
	/** Attached; tmux has not drawn yet, so keys would land in the bare PTY and be lost: still held. */
	| { kind: 'starting'; link: Link<A>; held: Held }
	/** Keys go straight to the PTY. */
	| { kind: 'live'; link: Link<A> }
	/** Spyre closed the socket (error, exit, lost link) and waits for it to close; keys are dropped. */
	| { kind: 'ending'; link: Link<A> | null }
	/** The socket is closed; whatever was attached has been detached. */
	| { kind: 'closed' };

export type TerminalEvent<A> =
	| { type: 'input'; bytes: Buffer }
	| { type: 'attached'; link: Link<A> }
	/** tmux drew its first output (and had a moment to switch the PTY to raw mode). */
	| { type: 'drawn' }
	| { type: 'end'; code: number; message?: ServerControl; reason: string }
	| { type: 'socket-closed' };

export type TerminalEffect<A> =
	| { do: 'write'; attachment: A; chunks: Buffer[] }
	| { do: 'close'; code: number; message?: ServerControl; reason: string }
	/** A new attachment is in use: count it and audit the attach. */
	| { do: 'begin'; link: Link<A> }
	/** Let go of an attachment; `counted` says `begin` ran for it (so it is uncounted and audited too). */
	| { do: 'detach'; link: Link<A>; counted: boolean };

export interface Transition<A> {
	state: TerminalState<A>;
	effects: TerminalEffect<A>[];
}

export function openingState<A>(socketOpen: boolean): TerminalState<A> {
	return socketOpen ? { kind: 'opening', held: { chunks: [], bytes: 0 } } : { kind: 'closed' };
}

/** The attachment in use, if any (for resizes). */
export function linkOf<A>(state: TerminalState<A>): Link<A> | null {
	return state.kind === 'starting' || state.kind === 'live' || state.kind === 'ending' ? state.link : null;
}

/** Whether the connection is still wanted: attached (or attaching) and not ending. */
export function isOpen<A>(state: TerminalState<A>): boolean {
	return state.kind === 'opening' || state.kind === 'starting' || state.kind === 'live';
}

function hold(held: Held, bytes: Buffer): void {
	// Beyond the cap, keys are dropped rather than queued without bound.
	if (held.bytes + bytes.length > MAX_HELD_INPUT) return;
	held.chunks.push(bytes);
	held.bytes += bytes.length;
}

const stay = <A>(state: TerminalState<A>): Transition<A> => ({ state, effects: [] });

export function transition<A>(state: TerminalState<A>, event: TerminalEvent<A>): Transition<A> {
	switch (event.type) {
		case 'input':
			if (state.kind === 'opening' || state.kind === 'starting') {
				hold(state.held, event.bytes);
				return stay(state);
			}
			if (state.kind === 'live') return { state, effects: [{ do: 'write', attachment: state.link.attachment, chunks: [event.bytes] }] };
			return stay(state);

		case 'attached':
			if (state.kind === 'opening') {
				return { state: { kind: 'starting', link: event.link, held: state.held }, effects: [{ do: 'begin', link: event.link }] };
			}
			// The socket closed (or the connection ended) while tmux was attaching: nobody wants it.
			return { state, effects: [{ do: 'detach', link: event.link, counted: false }] };

		case 'drawn':
			if (state.kind !== 'starting') return stay(state);
			return {
				state: { kind: 'live', link: state.link },
				effects: state.held.chunks.length > 0 ? [{ do: 'write', attachment: state.link.attachment, chunks: state.held.chunks }] : []
			};

		case 'end':
			if (!isOpen(state)) return stay(state);
			return {
				state: { kind: 'ending', link: linkOf(state) },
				effects: [{ do: 'close', code: event.code, message: event.message, reason: event.reason }]
			};

		case 'socket-closed': {
			if (state.kind === 'closed') return stay(state);
			const link = linkOf(state);
			return { state: { kind: 'closed' }, effects: link ? [{ do: 'detach', link, counted: true }] : [] };
		}
	}
}
