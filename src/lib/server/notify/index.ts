// Notifications: the owner's webhook setting (validated, audited, shown only by its origin), and the
// background service that delivers every `notice` on the server bus to it, one delivery at a time, with
// bounded retries (policy.ts), each delivery recorded (store.ts) and visible in Settings. Stopping the
// service aborts the delivery in flight and records what was left as failed; nothing resends after a restart.

import { audited, type AuditActor } from '../audit';
import { getConfig } from '../env-config';
import { messageOf, SpyreError } from '../errors';
import { subscribe } from '../events';
import { singleton } from '../singleton';
import { webhookBody } from './payload';
import { defaultPolicy, type RetryPolicy } from './policy';
import { describeOutcome, send } from './send';
import * as store from './store';
import { describeTarget, validateWebhookUrl } from './url';
import { testNotice } from './notices';
import type { NoticeView, NotifySettingsView } from '$lib/shared/types/notify';

export { announce } from './notices';

interface Job {
	id: number;
	url: string;
	notice: NoticeView;
}

const state = singleton('notify.service', () => ({
	queue: [] as Job[],
	running: false,
	abort: null as AbortController | null,
	unsubscribe: null as (() => void) | null,
	idle: Promise.resolve(),
	policy: defaultPolicy as RetryPolicy
}));

export function settingsView(): NotifySettingsView {
	const url = store.webhookUrl();
	return { webhook: url ? describeTarget(url) : null, deliveries: store.recentDeliveries() };
}

/** Set (a URL) or clear (null / '') the webhook. Audited with the receiver's origin only. */
export function setWebhook(input: unknown, actor: AuditActor): Promise<NotifySettingsView> {
	const clear = input === null || input === '';
	return audited(
		actor,
		'notify.webhook',
		null,
		async () => {
			store.setWebhookUrl(clear ? null : validateWebhookUrl(input));
			return settingsView();
		},
		(view) => (view.webhook ? `webhook set: ${view.webhook}` : 'webhook removed')
	);
}

/** Queue a test delivery to the stored webhook; returns the delivery id. Audited. */
export function sendTest(actor: AuditActor): Promise<number> {
	return audited(
		actor,
		'notify.test',
		null,
		async () => {
			const url = store.webhookUrl();
			if (!url) throw new SpyreError('conflict', 'Set a webhook URL first.');
			return enqueue(url, testNotice());
		},
		(id) => `test delivery ${id}`
	);
}

function enqueue(url: string, notice: NoticeView): number {
	const id = store.insertDelivery({ kind: notice.kind, title: notice.title, target: describeTarget(url) });
	state.queue.push({ id, url, notice });
	if (!state.running) state.idle = drain();
	return id;
}

async function drain(): Promise<void> {
	state.running = true;
	try {
		for (let job = state.queue.shift(); job; job = state.queue.shift()) {
			if (!state.abort || state.abort.signal.aborted) break;
			await deliver(job, state.abort.signal);
		}
	} finally {
		state.running = false;
	}
}

async function deliver(job: Job, signal: AbortSignal): Promise<void> {
	try {
		const body = webhookBody(job.notice, getConfig().server.publicUrl, job.url);
		const result = await send(job.url, body, {
			signal,
			policy: state.policy,
			onAttempt: (n, o) => {
				const status = 'status' in o ? o.status : null;
				store.updateDelivery(job.id, { status: 'pending', attempts: n, httpStatus: status, error: null, finished: false });
			}
		});
		const status = 'status' in result.last ? result.last.status : null;
		store.updateDelivery(job.id, {
			status: result.ok ? 'delivered' : 'failed',
			attempts: result.attempts,
			httpStatus: status,
			error: result.ok ? null : describeOutcome(result.last),
			finished: true
		});
		if (!result.ok) console.warn(`[spyre] webhook delivery ${job.id} failed after ${result.attempts} attempt(s): ${describeOutcome(result.last)}`);
	} catch (err) {
		const why = signal.aborted ? 'Spyre stopped before the delivery finished.' : messageOf(err);
		store.updateDelivery(job.id, { status: 'failed', attempts: 0, httpStatus: null, error: why, finished: true });
	}
}

/** The background service: deliver every notice while a webhook is set. */
export function startNotifier(policy: RetryPolicy = defaultPolicy): void {
	state.policy = policy;
	state.abort = new AbortController();
	store.failPending('Spyre restarted before the delivery finished.');
	state.unsubscribe = subscribe((event) => {
		if (event.type !== 'notice') return;
		const url = store.webhookUrl();
		if (url) enqueue(url, event.data as NoticeView);
	});
}

export async function stopNotifier(): Promise<void> {
	state.unsubscribe?.();
	state.unsubscribe = null;
	state.abort?.abort();
	state.queue.length = 0;
	await state.idle;
	store.failPending('Spyre stopped before the delivery finished.');
}

/** Settles when the queue is empty (tests). */
export function notifierIdle(): Promise<void> {
	return state.idle;
}
