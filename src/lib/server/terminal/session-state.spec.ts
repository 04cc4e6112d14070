import { describe, expect, it } from 'vitest';
import { MAX_HELD_INPUT, isOpen, linkOf, openingState, transition, type Link, type TerminalEvent, type TerminalState } from './session-state';

type A = { name: string };
const link: Link<A> = { attachment: { name: 'a1' }, window: 2, windowId: '@7', attachedAt: 1000 };
const key = (s: string) => Buffer.from(s);
const end: TerminalEvent<A> = { type: 'end', code: 4500, message: { type: 'status', state: 'disconnected' }, reason: 'lost' };

/** Run events from a state; returns the last state and every effect in order. */
function run(state: TerminalState<A>, ...events: TerminalEvent<A>[]) {
	const effects = [];
	for (const e of events) {
		const next = transition(state, e);
		state = next.state;
		effects.push(...next.effects);
	}
	return { state, effects };
}

describe('terminal session state', () => {
	it('starts opening on an open socket, closed on one that is not', () => {
		expect(openingState<A>(true).kind).toBe('opening');
		expect(openingState<A>(false).kind).toBe('closed');
	});

	it('holds keys until tmux has drawn, then writes them in order, then writes live', () => {
		const r = run(openingState(true), { type: 'input', bytes: key('a') }, { type: 'attached', link }, { type: 'input', bytes: key('b') });
		expect(r.state.kind).toBe('starting');
		expect(r.effects).toEqual([{ do: 'begin', link }]);
		const drawn = run(r.state, { type: 'drawn' }, { type: 'input', bytes: key('c') });
		expect(drawn.state.kind).toBe('live');
		expect(drawn.effects).toEqual([
			{ do: 'write', attachment: link.attachment, chunks: [key('a'), key('b')] },
			{ do: 'write', attachment: link.attachment, chunks: [key('c')] }
		]);
	});

	it('writes nothing when tmux draws with no keys held', () => {
		const r = run(openingState(true), { type: 'attached', link }, { type: 'drawn' });
		expect(r.state.kind).toBe('live');
		expect(r.effects).toEqual([{ do: 'begin', link }]);
	});

	it('drops keys beyond the hold cap, keeping those that fit', () => {
		const big = Buffer.alloc(MAX_HELD_INPUT - 1);
		const r = run(openingState(true), { type: 'input', bytes: big }, { type: 'input', bytes: key('xy') }, { type: 'input', bytes: key('z') });
		const held = r.state.kind === 'opening' ? r.state.held : null;
		expect(held?.bytes).toBe(MAX_HELD_INPUT);
		expect(held?.chunks.map((c) => c.toString('latin1').slice(-1))).toEqual(['\0', 'z']);
	});

	it('ends once: one close, later ends and input ignored, the attachment kept for the detach', () => {
		const live = run(openingState(true), { type: 'attached', link }, { type: 'drawn' }).state;
		const r = run(live, end, { ...end, code: 1000 }, { type: 'input', bytes: key('q') });
		expect(r.state).toEqual({ kind: 'ending', link });
		expect(r.effects).toEqual([{ do: 'close', code: 4500, message: { type: 'status', state: 'disconnected' }, reason: 'lost' }]);
		expect(isOpen(r.state)).toBe(false);
		expect(linkOf(r.state)).toBe(link);
	});

	it('an end before attaching closes with nothing to detach', () => {
		const r = run(openingState(true), end, { type: 'socket-closed' });
		expect(r.state.kind).toBe('closed');
		expect(r.effects.map((e) => e.do)).toEqual(['close']);
	});

	it('the socket closing detaches a counted attachment exactly once', () => {
		for (const events of [[{ type: 'attached', link }], [{ type: 'attached', link }, { type: 'drawn' }], [{ type: 'attached', link }, end]] as TerminalEvent<A>[][]) {
			const before = run(openingState(true), ...events).state;
			const r = run(before, { type: 'socket-closed' }, { type: 'socket-closed' });
			expect(r.state.kind).toBe('closed');
			expect(r.effects).toEqual([{ do: 'detach', link, counted: true }]);
		}
	});

	it('an attachment that arrives after the socket closed is let go uncounted', () => {
		const r = run(openingState(true), { type: 'socket-closed' }, { type: 'attached', link });
		expect(r.state.kind).toBe('closed');
		expect(r.effects).toEqual([{ do: 'detach', link, counted: false }]);
	});

	it('ignores a late draw and input after close', () => {
		const closed = run(openingState(true), { type: 'attached', link }, { type: 'socket-closed' }).state;
		expect(run(closed, { type: 'drawn' }, { type: 'input', bytes: key('a') }, end).effects).toEqual([]);
	});
});
