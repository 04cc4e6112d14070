// The webhook's JSON body, pure. One shape that the common receivers read without an adapter:
// Slack-compatible incoming webhooks (Slack, Mattermost, Rocket.Chat, Discord's /slack endpoint) show
// `text`; ntfy reads `topic`, `title`, `message`, `click`, `tags` and `priority` when the body is POSTed
// to its root URL (ntfy's "publish as JSON"), and a topic URL with ntfy's message templating (ntfy 2.10+,
// `https://ntfy.sh/TOPIC?tpl=1&t={{.title}}&m={{.message}}`) takes title and message from this same body
// (a bare topic URL would show the JSON as text); anything else gets `title`, `message`, `url` and the
// machine fields.
// Only Spyre's own words: never the prompt, never what a task or its CT wrote, never a secret.

import type { NoticeView } from '$lib/shared/types/notify';

export interface WebhookBody {
	text: string;
	title: string;
	message: string;
	url: string;
	click: string;
	topic?: string;
	tags: string[];
	priority: number;
	kind: NoticeView['kind'];
	taskId: string | null;
	environmentId: string | null;
}

const TAGS: Record<NoticeView['tone'], string> = { success: 'white_check_mark', error: 'warning', info: 'information_source' };

/** `webhookUrl`'s last path segment is sent as ntfy's `topic`; other receivers ignore it. */
export function webhookBody(notice: NoticeView, publicUrl: string, webhookUrl: string): WebhookBody {
	const url = new URL(notice.path, publicUrl).toString();
	const topic = new URL(webhookUrl).pathname.split('/').filter(Boolean).at(-1);
	return {
		text: `${notice.title}: ${notice.message} ${url}`,
		title: notice.title,
		message: notice.message,
		url,
		click: url,
		...(topic ? { topic } : {}),
		tags: [TAGS[notice.tone]],
		priority: notice.tone === 'error' ? 4 : 3,
		kind: notice.kind,
		taskId: notice.taskId,
		environmentId: notice.environmentId
	};
}
