import { describe, expect, it } from 'vitest';
import { MAX_TASK_BODY_BYTES, readDispatchBody, readTaskBody } from './request';

const post = (body: unknown) => new Request('http://127.0.0.1/api/claude/tasks', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('task request bodies', () => {
	it('parses the options the caller sent, and none as empty', async () => {
		expect((await readTaskBody(post({ prompt: 'hi', options: { maxTurns: '3', model: ' ' } }))).options).toEqual({ maxTurns: 3, model: null });
		expect((await readTaskBody(post({ prompt: 'hi' }))).options).toEqual({});
		expect((await readTaskBody(post({ prompt: 'hi', options: null }))).options).toEqual({});
	});

	it('needs an environment to dispatch to', async () => {
		expect((await readDispatchBody(post({ environmentId: 'e1', prompt: 'hi' }))).environmentId).toBe('e1');
		await expect(readDispatchBody(post({ prompt: 'hi' }))).rejects.toMatchObject({ code: 'bad_request', message: 'environmentId is required.' });
		await expect(readDispatchBody(post({ environmentId: 7 }))).rejects.toMatchObject({ code: 'bad_request' });
	});

	it('refuses a body over the cap', async () => {
		await expect(readTaskBody(post({ prompt: 'x'.repeat(MAX_TASK_BODY_BYTES) }))).rejects.toMatchObject({ code: 'payload_too_large' });
	});
});
