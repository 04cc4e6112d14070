import { describe, expect, it } from 'vitest';
import { attemptSetNotice } from './notices';

const base = { id: 'set-abc', sourceEnvId: 'env-1', sourceHostname: 'web', count: 4, succeeded: 3, checksPassed: 2, costUsd: 0.0123 };

describe('attemptSetNotice', () => {
	it.each([
		{
			s: { ...base, status: 'done' as const },
			kind: 'attempts.done',
			tone: 'success',
			title: 'Attempts on web are done',
			message: 'Attempt set set-abc: 3 of 4 succeeded, 2 passed the check, $0.0123 measured. Compare them and keep one.'
		},
		{
			s: { ...base, status: 'done' as const, checksPassed: null, costUsd: null },
			kind: 'attempts.done',
			tone: 'success',
			title: 'Attempts on web are done',
			message: 'Attempt set set-abc: 3 of 4 succeeded. Compare them and keep one.'
		},
		{
			s: { ...base, status: 'failed' as const, succeeded: 0, checksPassed: null, costUsd: null },
			kind: 'attempts.failed',
			tone: 'error',
			title: 'Attempts on web failed',
			message: 'Attempt set set-abc could not run (0 of 4 succeeded).'
		}
	])('$kind: $message', ({ s, kind, tone, title, message }) => {
		expect(attemptSetNotice(s)).toEqual({ kind, tone, title, message, path: '/claude/attempts/set-abc', taskId: null, environmentId: 'env-1' });
	});
});
