import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TaskPartialFrame } from '$lib/shared/types/claude';
import { subscribeTask, type TaskMessage } from './bus';
import { endPartial, feedPartial, flushPartial, partialSnapshot, partialTimings } from './live-partial';

const TASK = 'task-livepartial01';
let frames: TaskPartialFrame[] = [];
let unsubscribe = () => {};

beforeEach(() => {
	vi.useFakeTimers();
	frames = [];
	unsubscribe = subscribeTask(TASK, (m: TaskMessage) => m.kind === 'partial' && frames.push(m.message));
	feedPartial(TASK, { kind: 'block_start', messageId: 'msg_1', parent: null, index: 0, block: { type: 'text' } }, 10);
});
afterEach(() => {
	endPartial(TASK);
	unsubscribe();
	vi.useRealTimers();
});

let offset = 10;
const delta = (text: string) => feedPartial(TASK, { kind: 'text', messageId: 'msg_1', parent: null, index: 0, text }, (offset += 10));

describe('live partial replies', () => {
	it('sends the first delta at once, then at most one frame per coalescing interval', () => {
		delta('a');
		flushPartial(TASK);
		expect(frames).toHaveLength(1);
		// A fast stream: 1,000 deltas within 200 ms become at most 200/50 more frames.
		for (let i = 0; i < 1000; i++) {
			delta('b');
			flushPartial(TASK);
			vi.advanceTimersByTime(0.2);
		}
		vi.advanceTimersByTime(partialTimings.coalesceMs);
		expect(frames.length).toBeLessThanOrEqual(1 + 200 / partialTimings.coalesceMs + 1);
		expect(
			frames
				.flatMap((f) => f.pieces)
				.map((p) => p.text)
				.join('')
		).toBe('a' + 'b'.repeat(1000));
	});

	it('applies a line once, however often it is read (a re-attach reads from the stored offset again)', () => {
		const at = (offset += 10);
		feedPartial(TASK, { kind: 'text', messageId: 'msg_1', parent: null, index: 0, text: 'once' }, at);
		feedPartial(TASK, { kind: 'text', messageId: 'msg_1', parent: null, index: 0, text: 'once' }, at);
		expect(partialSnapshot(TASK).pieces.map((p) => p.text)).toEqual(['once']);
	});

	it('tells clients to forget everything when the task ends, and keeps nothing', () => {
		delta('x');
		endPartial(TASK);
		expect(frames.at(-1)).toEqual({ kind: 'partial', reset: true, pieces: [] });
		expect(partialSnapshot(TASK)).toEqual({ kind: 'partial', reset: true, pieces: [] });
	});
});
