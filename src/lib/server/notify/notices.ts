// What the owner is told, and the one way it is announced: a `notice` on the server bus, which the pages
// show (and turn into a browser notification when allowed) and the webhook service delivers. The words
// are Spyre's: a task's status, its environment's name and its measured cost, never its prompt, its
// result text or anything its CT wrote (hostile input, and the webhook goes to a third party).

import { publish } from '../events';
import { messageOf } from '../errors';
import { pageRoutes } from '$lib/shared/routes';
import type { NoticeKind, NoticeView } from '$lib/shared/types/notify';
import type { TaskStatus } from '$lib/shared/types/claude';

export interface EndedTask {
	id: string;
	environmentId: string;
	hostname: string | null;
	status: TaskStatus;
	costUsd: number | null;
	numTurns: number | null;
}

const usd = (n: number) => `$${n.toFixed(n < 1 ? 4 : 2)}`;

const ENDINGS: Partial<Record<TaskStatus, { kind: NoticeKind; tone: NoticeView['tone']; verb: string }>> = {
	succeeded: { kind: 'task.succeeded', tone: 'success', verb: 'finished' },
	failed: { kind: 'task.failed', tone: 'error', verb: 'failed' },
	cancelled: { kind: 'task.cancelled', tone: 'info', verb: 'was cancelled' },
	interrupted: { kind: 'task.interrupted', tone: 'error', verb: 'was interrupted' }
};

/** The notice for a task that ended; null while it still runs. */
export function taskEndedNotice(t: EndedTask): NoticeView | null {
	const ending = ENDINGS[t.status];
	if (!ending) return null;
	const where = t.hostname ?? t.environmentId;
	const facts = [t.numTurns !== null ? `${t.numTurns} turn${t.numTurns === 1 ? '' : 's'}` : null, t.costUsd !== null ? `${usd(t.costUsd)} measured` : null].filter(Boolean);
	return {
		kind: ending.kind,
		tone: ending.tone,
		title: `Claude task ${ending.verb} on ${where}`,
		message: `Task ${t.id} ${ending.verb}${facts.length ? ` (${facts.join(', ')})` : ''}.`,
		path: pageRoutes.claudeSession(t.id),
		taskId: t.id,
		environmentId: t.environmentId
	};
}

export interface EndedAttemptSet {
	id: string;
	sourceEnvId: string | null;
	sourceHostname: string;
	/** 'done' (every attempt ended) or 'failed' (the set could not run). */
	status: 'done' | 'failed';
	count: number;
	succeeded: number;
	/** Attempts whose check passed (exit 0), when the config has a check. */
	checksPassed: number | null;
	costUsd: number | null;
}

/** The notice for an attempt set that ended: one for the set, in place of one per attempt's task. */
export function attemptSetNotice(s: EndedAttemptSet): NoticeView {
	const failed = s.status === 'failed';
	const facts = [`${s.succeeded} of ${s.count} succeeded`, s.checksPassed !== null ? `${s.checksPassed} passed the check` : null, s.costUsd !== null ? `${usd(s.costUsd)} measured` : null].filter(
		Boolean
	);
	return {
		kind: failed ? 'attempts.failed' : 'attempts.done',
		tone: failed ? 'error' : 'success',
		title: failed ? `Attempts on ${s.sourceHostname} failed` : `Attempts on ${s.sourceHostname} are done`,
		message: failed ? `Attempt set ${s.id} could not run (${facts.join(', ')}).` : `Attempt set ${s.id}: ${facts.join(', ')}. Compare them and keep one.`,
		path: pageRoutes.claudeAttempts(s.id),
		taskId: null,
		environmentId: s.sourceEnvId
	};
}

/** The broker refused a task's call over a budget (`reason` is the broker's own sentence). */
export function budgetNotice(t: { id: string; environmentId: string; hostname: string | null }, reason: string): NoticeView {
	return {
		kind: 'task.budget',
		tone: 'error',
		title: `Claude budget reached on ${t.hostname ?? t.environmentId}`,
		message: reason,
		path: pageRoutes.claudeSession(t.id),
		taskId: t.id,
		environmentId: t.environmentId
	};
}

/** The stored credential was refused: tasks cannot run until the owner signs in again. */
export function reauthNotice(message: string): NoticeView {
	return {
		kind: 'claude.reauth',
		tone: 'error',
		title: 'Claude needs you to sign in again',
		message,
		path: pageRoutes.settingsClaude(),
		taskId: null,
		environmentId: null
	};
}

/** Spyre stopped or started an environment on its own: idle for its idle time, or by its schedule. */
export function lifecycleNotice(env: { id: string; hostname: string }, action: 'start' | 'stop', why: string): NoticeView {
	return {
		kind: 'environment.lifecycle',
		tone: 'info',
		title: `${env.hostname} ${action === 'stop' ? 'stopped' : 'started'} (${why})`,
		message: action === 'stop' ? `Spyre stopped ${env.hostname} gracefully (${why}). Opening its terminal or one of its service URLs starts it again.` : `Spyre started ${env.hostname} (${why}).`,
		path: pageRoutes.environment(env.id),
		taskId: null,
		environmentId: env.id
	};
}

export function testNotice(): NoticeView {
	return {
		kind: 'test',
		tone: 'info',
		title: 'Spyre test notification',
		message: 'Notifications from Spyre reach this receiver.',
		path: pageRoutes.settings(),
		taskId: null,
		environmentId: null
	};
}

/** Tell the owner. Never throws: a notice that cannot be stored must not fail the task's bookkeeping. */
export function announce(notice: NoticeView | null): void {
	if (!notice) return;
	try {
		publish('notice', notice);
	} catch (err) {
		console.error('[spyre] notice not announced:', messageOf(err));
	}
}
