// The partial replies of the tasks this process follows, and their publication on the task bus at most
// once per `partialTimings.coalesceMs` per task: a CLI streaming thousands of deltas a second costs each
// socket ~20 frames a second, and the first delta after a quiet spell goes out at once. Nothing here is
// stored: after a restart the follower re-reads the output file from the last stored line, and every
// stream_event line after it is applied again (`feedPartial` skips lines it has already applied, by their
// end offset in the file, so an SSH re-attach does not double the text).

import { singleton } from '../../singleton';
import type { TaskPartialFrame } from '$lib/shared/types/claude';
import { publishTask } from './bus';
import { PartialReply } from './partial';
import type { StreamDelta } from './stream-json';

export const partialTimings = { coalesceMs: 50 };

interface Live {
	reply: PartialReply;
	/** End offset (in the output file) of the last stream_event line applied. */
	appliedTo: number;
	lastFlush: number;
	timer: ReturnType<typeof setTimeout> | null;
}

const live = singleton('claude.partials', () => new Map<string, Live>());

function entry(taskId: string): Live {
	let l = live.get(taskId);
	if (!l) live.set(taskId, (l = { reply: new PartialReply(), appliedTo: -1, lastFlush: 0, timer: null }));
	return l;
}

/** Apply one stream_event line that ends at byte `endOffset` of the task's output file (once). */
export function feedPartial(taskId: string, delta: StreamDelta, endOffset: number): void {
	const l = entry(taskId);
	if (endOffset <= l.appliedTo) return;
	l.appliedTo = endOffset;
	l.reply.apply(delta);
}

/** A stored `assistant` event completed this message's partial blocks. */
export function completePartial(taskId: string, messageId: string): void {
	live.get(taskId)?.reply.complete(messageId);
}

/** Publish what changed now, or as soon as this task's last frame is `coalesceMs` old. */
export function flushPartial(taskId: string): void {
	const l = live.get(taskId);
	if (!l || l.timer) return;
	const wait = l.lastFlush + partialTimings.coalesceMs - Date.now();
	if (wait > 0) {
		l.timer = setTimeout(() => {
			l.timer = null;
			publishNow(taskId, l);
		}, wait);
		return;
	}
	publishNow(taskId, l);
}

function publishNow(taskId: string, l: Live): void {
	if (live.get(taskId) !== l) return;
	const { done, pieces } = l.reply.takeChanges();
	if (done.length === 0 && pieces.length === 0) return;
	l.lastFlush = Date.now();
	publishTask(taskId, { kind: 'partial', message: { kind: 'partial', ...(done.length ? { done } : {}), pieces } });
}

/** For a client that just connected: forget what you had, here is everything partial so far. */
export function partialSnapshot(taskId: string): TaskPartialFrame {
	return { kind: 'partial', reset: true, pieces: live.get(taskId)?.reply.snapshot() ?? [] };
}

/** The task ended: its partial blocks go (clients are told), nothing stays behind. */
export function endPartial(taskId: string): void {
	const l = live.get(taskId);
	if (!l) return;
	if (l.timer) clearTimeout(l.timer);
	live.delete(taskId);
	publishTask(taskId, { kind: 'partial', message: { kind: 'partial', reset: true, pieces: [] } });
}
