import { describe, expect, it } from 'vitest';
import { webhookBody } from './payload';
import { budgetNotice, reauthNotice, taskEndedNotice, testNotice } from './notices';
import type { NoticeView } from '$lib/shared/types/notify';

const ended = (status: 'succeeded' | 'failed' | 'cancelled' | 'interrupted') => taskEndedNotice({ id: 'task-abc', environmentId: 'env-1', hostname: 'dev-box', status, costUsd: 0.0123, numTurns: 3 })!;

describe('webhookBody', () => {
	it('has the fields Slack-compatible receivers (text) and ntfy (topic, title, message, click) read', () => {
		const body = webhookBody(ended('succeeded'), 'https://spyre.example', 'https://ntfy.sh/spyre-alerts');
		expect(body).toEqual({
			text: 'Claude task finished on dev-box: Task task-abc finished (3 turns, $0.0123 measured). https://spyre.example/claude/sessions/task-abc',
			title: 'Claude task finished on dev-box',
			message: 'Task task-abc finished (3 turns, $0.0123 measured).',
			url: 'https://spyre.example/claude/sessions/task-abc',
			click: 'https://spyre.example/claude/sessions/task-abc',
			topic: 'spyre-alerts',
			tags: ['white_check_mark'],
			priority: 3,
			kind: 'task.succeeded',
			taskId: 'task-abc',
			environmentId: 'env-1'
		});
		expect(JSON.parse(JSON.stringify(body))).toEqual(body);
	});

	it('has no topic when the URL has no path, and a higher priority for failures', () => {
		const body = webhookBody(ended('failed'), 'http://127.0.0.1:3000', 'http://127.0.0.1:9000/');
		expect(body.topic).toBeUndefined();
		expect(body.priority).toBe(4);
		expect(body.tags).toEqual(['warning']);
	});

	it.each<[string, NoticeView]>([
		['succeeded', ended('succeeded')],
		['failed', ended('failed')],
		['cancelled', ended('cancelled')],
		['interrupted', ended('interrupted')],
		['budget', budgetNotice({ id: 'task-abc', environmentId: 'env-1', hostname: null }, 'Spyre refused this call: budget used up.')],
		['reauth', reauthNotice('The stored token was refused.')],
		['test', testNotice()]
	])('%s: every string field is set and the URL is absolute on server.public_url', (_, notice) => {
		const body = webhookBody(notice, 'https://spyre.example/', 'https://hooks.example/x');
		for (const k of ['text', 'title', 'message', 'url'] as const) expect(body[k].length).toBeGreaterThan(0);
		expect(body.url.startsWith('https://spyre.example/')).toBe(true);
		expect(body.text).toContain(body.title);
	});
});

describe('taskEndedNotice', () => {
	it('is null while a task runs', () => {
		expect(taskEndedNotice({ id: 't', environmentId: 'e', hostname: null, status: 'running', costUsd: null, numTurns: null })).toBeNull();
	});
	it('names the environment id when its name is unknown and leaves out unknown facts', () => {
		const n = taskEndedNotice({ id: 't', environmentId: 'env-9', hostname: null, status: 'failed', costUsd: null, numTurns: null })!;
		expect(n).toMatchObject({ kind: 'task.failed', tone: 'error', title: 'Claude task failed on env-9', message: 'Task t failed.' });
	});
});
