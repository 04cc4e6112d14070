// Browser-safe shapes of notifications: a notice (in the app, in the browser, to the webhook) and the
// webhook's settings and deliveries as Settings shows them. Never the whole webhook URL (it may be a
// secret: a Slack webhook path, an ntfy topic), never anything a CT wrote.

export const NOTICE_KINDS = [
	'task.succeeded',
	'task.failed',
	'task.cancelled',
	'task.interrupted',
	'task.budget',
	'attempts.done',
	'attempts.failed',
	'claude.reauth',
	'environment.lifecycle',
	'test'
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

export interface NoticeView {
	kind: NoticeKind;
	/** How the page shows it. */
	tone: 'success' | 'error' | 'info';
	title: string;
	/** One sentence in Spyre's words. */
	message: string;
	/** The page to open, as a path on Spyre (the webhook gets it made absolute with server.public_url). */
	path: string;
	taskId: string | null;
	environmentId: string | null;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryView {
	id: number;
	createdAt: number;
	kind: string;
	title: string;
	/** The receiver's origin only. */
	target: string;
	status: DeliveryStatus;
	attempts: number;
	httpStatus: number | null;
	error: string | null;
	finishedAt: number | null;
}

export interface NotifySettingsView {
	/** The receiver's origin and a hint of the rest (`https://ntfy.sh/…`), or null when none is set. */
	webhook: string | null;
	deliveries: DeliveryView[];
}
