// Following a running task: tail its output file in the environment from the stored byte offset, store
// every complete line as a numbered event, publish it, and complete the task from its `result` line and
// exit status once the process is gone. Transient lines (the CLI's partial messages) are not stored: they
// feed the live partial reply (live-partial.ts), and the stored offset only moves past them together with
// the next stored line, so a re-attach reads them again and rebuilds the partial text. One attachment per
// task per process. A dropped SSH link, a
// stopped tail or a Spyre restart only interrupt the following: the next attachment starts again at the
// stored offset, so no line is lost or stored twice. Never kills the task itself (cancel does that).

import { setTimeout as sleep } from 'node:timers/promises';
import * as ssh from '../../ssh';
import { messageOf, isSpyreError } from '../../errors';
import { getEnvironment } from '../../environments/repo';
import { requireReachable } from '../../environments/reachable';
import * as lifecycle from '../../lifecycle';
import { singleton } from '../../singleton';
import type { SshTarget } from '../../ssh/types';
import { publishTask } from './bus';
import { publishTaskRow } from './publish-row';
import * as changes from './changes';
import { announce, taskEndedNotice } from '../../notify/notices';
import { revokeToken } from '../broker/tokens';
import { parseProbe, probeCommand, scrubCommand, tailCommand, type Probe } from './launcher';
import { OffsetLineReader } from './line-reader';
import { completedMessageId } from '$lib/shared/task-partial';
import { completePartial, endPartial, feedPartial, flushPartial } from './live-partial';
import { isTransient, parseLine, parseStreamEvent, sessionIdOf, summarizeResult } from './stream-json';
import { appendEvents, getTask, updateTask, type NewEvent, type TaskRow } from './repo';

export const limits = {
	/** One line is stored whole up to this size; longer ones keep their head and a marker. */
	maxLineBytes: 1024 * 1024,
	/** What one task may store in the database; beyond it lines are skipped (the result line never is). */
	maxStoredBytes: 32 * 1024 * 1024,
	/**
	 * Transient lines read again after a re-attach, at most: past this the stored offset moves over them (a
	 * CT that writes only stream events must not make every re-attach read it all again).
	 */
	maxDeferredBytes: 4 * 1024 * 1024
};

export const attachTimings = { retryBaseMs: 500, retryMaxMs: 10_000, probeTimeoutMs: 15_000 };

interface Attachment {
	abort: AbortController;
	done: Promise<void>;
}

const state = singleton('claude.attachments', () => ({ attached: new Map<string, Attachment>(), cancelRequested: new Set<string>() }));

/**
 * Everything that follows a task's end, whatever the way it ended (here, a failed start, or a task that
 * never started after a restart): record what it changed in its repo (changes.ts), then tell the owner.
 */
export function taskEnded(taskId: string): void {
	void changes.finish(taskId);
	announceTaskEnd(taskId);
}

/** Tell the owner that a task ended (in the app, the browser and the webhook: notify/). Once per ending; an attempt's task is told with its set. */
function announceTaskEnd(taskId: string): void {
	const row = getTask(taskId);
	if (!row) return;
	const env = getEnvironment(row.environment_id);
	// A task in an attempt clone is told as part of its set, once the set ends (claude/attempts).
	if (env?.attempt_set_id) return;
	const hostname = env?.hostname ?? null;
	announce(taskEndedNotice({ id: row.id, environmentId: row.environment_id, hostname, status: row.status, costUsd: row.cost_usd, numTurns: row.num_turns }));
}

/** Start following a task unless this process already does. */
export function attach(taskId: string): Promise<void> {
	const existing = state.attached.get(taskId);
	if (existing) return existing.done;
	const abort = new AbortController();
	// A task followed is a task running: activity, so the idle stop leaves its environment alone.
	const envId = getTask(taskId)?.environment_id;
	const release = envId ? lifecycle.hold(envId, 'task') : () => {};
	const done = follow(taskId, abort.signal)
		.catch((err) => console.error(`[spyre] claude task ${taskId}: following failed:`, messageOf(err)))
		.finally(() => {
			release();
			state.attached.delete(taskId);
		});
	state.attached.set(taskId, { abort, done });
	return done;
}

/** Stop following (shutdown); the task itself keeps running in its environment. */
export async function detachAll(): Promise<void> {
	const all = [...state.attached.values()];
	for (const a of all) a.abort.abort();
	await Promise.all(all.map((a) => a.done));
}

export function markCancelRequested(taskId: string): void {
	state.cancelRequested.add(taskId);
}

export function isAttached(taskId: string): boolean {
	return state.attached.has(taskId);
}

/** Settles when the task's current attachment ends (its completion, for tests and shutdown). */
export function attachmentDone(taskId: string): Promise<void> {
	return state.attached.get(taskId)?.done ?? Promise.resolve();
}

async function follow(taskId: string, signal: AbortSignal): Promise<void> {
	let failures = 0;
	while (!signal.aborted) {
		const task = getTask(taskId);
		if (!task || (task.status !== 'running' && task.status !== 'queued')) return;
		let target: SshTarget;
		try {
			target = requireReachable(task.environment_id);
		} catch (err) {
			// The environment was stopped or removed: its processes are gone with it.
			return complete(task, { state: 'gone' }, isSpyreError(err) ? err.message : messageOf(err));
		}
		try {
			const probe = parseProbe((await ssh.exec(target, probeCommand(taskId), { timeoutMs: attachTimings.probeTimeoutMs })).stdout);
			if (probe.state === 'running') {
				// `tail --pid` ends cleanly only once the launcher is gone: the task is over, so its broker
				// token dies now rather than after the probe that completes it.
				if ((await tail(task, target, probe.pid, signal)) === 0 && !signal.aborted) revokeToken(taskId);
			} else {
				// Read what the file still holds past the offset, then complete.
				await tail(task, target, null, signal);
				if (signal.aborted) return;
				return complete(getTask(taskId)!, probe, null, target);
			}
			failures = 0;
		} catch (err) {
			if (signal.aborted) return;
			failures++;
			const wait = Math.min(attachTimings.retryMaxMs, attachTimings.retryBaseMs * 2 ** Math.min(failures - 1, 10));
			console.warn(`[spyre] claude task ${taskId}: lost the output stream (${messageOf(err)}); re-attaching in ${wait} ms`);
			await sleep(wait, undefined, { signal }).catch(() => {});
		}
	}
}

/** Tail from the stored offset until the stream ends; stores lines as they complete. Returns tail's exit code. */
async function tail(task: TaskRow, target: SshTarget, pid: number | null, signal: AbortSignal): Promise<number | null> {
	const reader = new OffsetLineReader(limits.maxLineBytes);
	const sink = new LineSink(task);
	// Read (and shown live) again from the stored offset: applied lines are skipped by their offset.
	const result = await ssh.execStream(target, tailCommand(task.id, task.out_offset, pid), {
		signal,
		maxBufferBytes: 4096,
		onStdout: (chunk) => sink.store(reader.push(chunk).map((l) => ({ ...l, final: false })))
	});
	if (signal.aborted || result.cancelled) return null;
	if (pid === null) {
		// The file ended without a newline: the CLI died mid-line. Keep what it wrote, marked as cut.
		const rest = reader.takeRest();
		if (rest) sink.store([{ ...rest, final: true }]);
	}
	if (result.code !== 0 && pid === null && result.code !== null) {
		throw new Error(`tail exited with ${result.code}: ${result.output.trim().slice(0, 200)}`);
	}
	return result.code;
}

/** Turns read lines into stored, published events, within the per-task cap, and transient ones into live partials. */
class LineSink {
	#task: TaskRow;
	#storedBytes: number;
	#capNoticed: boolean;
	/** Where the next line starts in the output file. */
	#position: number;
	/** Bytes of transient lines read since the last stored line (the stored offset is not past them yet). */
	#deferred = 0;

	constructor(task: TaskRow) {
		this.#task = task;
		this.#storedBytes = task.stored_bytes;
		this.#capNoticed = task.stored_bytes >= limits.maxStoredBytes;
		this.#position = task.out_offset;
	}

	store(lines: Array<{ text: string; bytes: number; cutBytes: number; final: boolean }>): void {
		if (lines.length === 0) return;
		const events: NewEvent[] = [];
		let skipped = 0;
		let partial = false;
		const updates: Parameters<typeof updateTask>[1] = {};
		for (const line of lines) {
			this.#position += line.bytes;
			const parsed = parseLine(line.text, line.cutBytes);
			if (isTransient(parsed)) {
				const delta = parsed.type === 'stream_event' ? parseStreamEvent(parsed.data) : null;
				if (delta) {
					feedPartial(this.#task.id, delta, this.#position);
					partial = true;
				}
				this.#deferred += line.bytes;
				continue;
			}
			// The stored offset moves past the transient lines before this one together with it.
			const bytes = line.bytes + this.#deferred;
			this.#deferred = 0;
			if (line.final && parsed.type === 'raw') parsed.data.truncated = true;
			const session = sessionIdOf(parsed);
			if (session) updates.session_id = session;
			if (parsed.type === 'result') {
				const s = summarizeResult(parsed.data);
				// A result line is the task's own word: it may end this task, never change global state, and
				// its cost is only what the CLI claims (the broker measures the real one into cost_usd).
				Object.assign(updates, {
					result: s.result,
					error: s.error,
					reported_cost_usd: s.costUsd,
					num_turns: s.numTurns,
					duration_ms: s.durationMs,
					result_subtype: s.subtype ?? (s.status === 'failed' ? 'error' : 'success'),
					...(s.sessionId ? { session_id: s.sessionId } : {})
				});
			}
			const size = line.text.length;
			if (parsed.type !== 'result' && this.#storedBytes + size > limits.maxStoredBytes) {
				if (!this.#capNoticed) {
					this.#capNoticed = true;
					events.push({ type: 'spyre', data: { text: `Output beyond ${Math.round(limits.maxStoredBytes / 1048576)} MiB is not stored; the task goes on.`, marker: 'cap' }, bytes: 0, size: 0 });
				}
				skipped += bytes;
				continue;
			}
			this.#storedBytes += size;
			events.push({ type: parsed.type, data: parsed.data, bytes, size });
			// Stored, so its message's partial blocks are over (an assistant line over the cap is not: those
			// blocks stay shown until the message stops).
			const completed = completedMessageId(parsed);
			if (completed) completePartial(this.#task.id, completed);
		}
		if (this.#deferred > limits.maxDeferredBytes) {
			skipped += this.#deferred;
			this.#deferred = 0;
		}
		if (events.length > 0 || skipped > 0) this.#commit(events, skipped, updates);
		if (partial) flushPartial(this.#task.id);
	}

	#commit(events: NewEvent[], skipped: number, updates: Parameters<typeof updateTask>[1]): void {
		// Offset and events commit together; the row's summary fields right after.
		const stored = appendEvents(this.#task.id, events, skipped);
		if (Object.keys(updates).length > 0) updateTask(this.#task.id, updates);
		for (const event of stored) publishTask(this.#task.id, { kind: 'event', event });
		if (Object.keys(updates).length > 0) publishTaskRow(this.#task.id);
	}
}

/** The process is gone: settle the task's status from its result line, the cancel flag and the exit code. */
function complete(task: TaskRow, probe: Probe, why: string | null, target?: SshTarget): void {
	const row = getTask(task.id) ?? task;
	const exitCode = probe.state === 'exited' ? probe.code : null;
	const cancelled = state.cancelRequested.delete(task.id);
	let status: TaskRow['status'];
	let error = row.error;
	if (cancelled) {
		status = 'cancelled';
		error = 'Cancelled.';
	} else if (row.result_subtype !== null) {
		status = row.error ? 'failed' : 'succeeded';
	} else if (probe.state === 'exited') {
		status = 'failed';
		error = `Claude Code exited with status ${exitCode ?? 'unknown'} without a result.`;
	} else {
		status = 'interrupted';
		error = why ?? 'The task ended without a result (killed, or its environment restarted).';
	}
	// The status change alone already makes the task's broker token invalid; clearing it is the record.
	updateTask(task.id, { status, error, exit_code: exitCode, finished_at: Date.now(), broker_token_hash: null });
	endPartial(task.id);
	publishTaskRow(task.id);
	taskEnded(task.id);
	// The launcher deletes the credential once read; this covers a task that died before it did.
	if (target) void ssh.exec(target, scrubCommand(task.id), { timeoutMs: 10_000 }).catch(() => {});
}
