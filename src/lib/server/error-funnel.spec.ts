import { error } from '@sveltejs/kit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { judgeError } from './error-funnel';
import { SpyreError } from './errors';
import { errorResponse } from './http';
import { errorFromResponse } from './proxmox/errors';

afterEach(() => vi.restoreAllMocks());

/** What SvelteKit's error() throws. */
const httpError = (status: number, message: string): unknown =>
	Promise.resolve()
		.then(() => error(status, message))
		.catch((e: unknown) => e);

describe('judgeError', () => {
	it('a page that does not exist is expected: no error id, nothing logged', () => {
		const log = vi.fn();
		const judged = judgeError(new Error('Not found: /nope'), { where: 'GET /nope', kit: { status: 404, message: 'Not Found' } }, log);
		expect(judged).toEqual({ expected: true, status: 404, message: 'Not found' });
		expect(log).not.toHaveBeenCalled();
	});

	it("SvelteKit's error() and a SpyreError are expected, with their own status and message", async () => {
		const log = vi.fn();
		expect(judgeError(await httpError(403, 'Not yours.'), {}, log)).toEqual({ expected: true, status: 403, message: 'Not yours.' });
		expect(judgeError(new SpyreError('conflict', 'Busy.'), {}, log)).toMatchObject({ expected: true, status: 409, message: 'Busy.', code: 'conflict' });
		expect(log).not.toHaveBeenCalled();
	});

	it('a thrown bug gets one error id, logged once with the id and the stack', () => {
		const log = vi.fn();
		const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
		const judged = judgeError(bug, { where: 'GET /environments', kit: { status: 500, message: 'Internal Error' } }, log);
		expect(judged.expected).toBe(false);
		if (judged.expected) return;
		expect(judged.errorId).toMatch(/^[0-9a-f]{8}$/);
		expect(judged.message).not.toContain('reading');
		expect(log).toHaveBeenCalledTimes(1);
		expect(log.mock.calls[0][0]).toBe(`[spyre] error ${judged.errorId} on GET /environments:`);
		expect(log.mock.calls[0][1]).toBe(bug.stack);
	});

	it("a SpyreError('internal') is a broken assumption: an id and a log line, its text not shown", () => {
		const log = vi.fn();
		const judged = judgeError(new SpyreError('internal', 'A tail offset must be a non-negative integer.'), {}, log);
		expect(judged).toMatchObject({ expected: false, status: 500, message: 'Something went wrong on the server.' });
		expect(log).toHaveBeenCalledTimes(1);
	});
});

describe('errorResponse', () => {
	it("a Proxmox 500 is Spyre's 502 `proxmox`, with Proxmox's own status kept apart", async () => {
		const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
		const err = errorFromResponse(
			{ baseUrl: 'https://pve.lan:8006', tokenId: 't@pve!x', method: 'POST', template: '/nodes/{node}/lxc', vars: { node: 'pve' } },
			500,
			'unable to create CT 101 - no space',
			{ data: null }
		);
		expect(err.upstreamStatus).toBe(500);
		expect(err.status).toBe(502);
		const res = errorResponse(err);
		expect(res.status).toBe(502);
		expect(await res.json()).toEqual({ error: 'unable to create CT 101 - no space', code: 'proxmox' });
		expect(log).not.toHaveBeenCalled();
	});

	it('a Proxmox 400 is a 422 with the per-parameter problems as fields', async () => {
		const err = errorFromResponse({ baseUrl: 'https://pve.lan:8006', tokenId: 't@pve!x', method: 'POST', template: '/nodes/{node}/lxc', vars: {} }, 400, 'Parameter verification failed.', {
			data: null,
			errors: { hostname: 'invalid format' }
		});
		const res = errorResponse(err);
		expect(res.status).toBe(422);
		expect((await res.json()).fields).toEqual({ hostname: 'invalid format' });
	});

	it('a bug answers 500 with the one error id the log names', async () => {
		const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
		const res = errorResponse(new Error('boom'), { where: 'POST /api/x' });
		const body = await res.json();
		expect(res.status).toBe(500);
		expect(body.code).toBe('internal');
		expect(body.error).toBe(`Something went wrong on the server (error id ${body.errorId}).`);
		expect(log).toHaveBeenCalledTimes(1);
		expect(log.mock.calls[0][0]).toBe(`[spyre] error ${body.errorId} on POST /api/x:`);
	});

	it("an error() thrown inside a JSON route keeps its status and gets the table's code", async () => {
		const res = errorResponse(await httpError(404, 'No such task.'));
		expect(res.status).toBe(404);
		expect(await res.json()).toEqual({ error: 'No such task.', code: 'not_found' });
	});
});
