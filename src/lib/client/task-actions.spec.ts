import { describe, expect, it } from 'vitest';
import { taskActions } from './task-actions';

describe('taskActions', () => {
	it('a task that never ran offers neither Resume nor Roll back', () => {
		expect(taskActions({ status: 'failed', sessionId: null, snapshot: 'spyre-task-1', startedAt: null })).toEqual({ cancel: false, resume: false, rollback: false });
		expect(taskActions({ status: 'failed', sessionId: 'sess', snapshot: 'spyre-task-1', startedAt: null })).toEqual({ cancel: false, resume: false, rollback: false });
	});
	it('a finished task with a session and a snapshot offers both', () => {
		expect(taskActions({ status: 'succeeded', sessionId: 'sess', snapshot: 'spyre-task-1', startedAt: 5 })).toEqual({ cancel: false, resume: true, rollback: true });
	});
	it('a running task can be cancelled, not resumed', () => {
		expect(taskActions({ status: 'running', sessionId: 'sess', snapshot: null, startedAt: 5 })).toEqual({ cancel: true, resume: false, rollback: false });
		expect(taskActions({ status: 'queued', sessionId: null, snapshot: null, startedAt: null }).cancel).toBe(true);
	});
	it('a task that ran without a session or a snapshot offers neither', () => {
		expect(taskActions({ status: 'failed', sessionId: null, snapshot: null, startedAt: 5 })).toEqual({ cancel: false, resume: false, rollback: false });
	});
});
