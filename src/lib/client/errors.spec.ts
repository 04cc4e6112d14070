import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { describeError, errorMessage, isAbort } from './errors';

describe('describeError', () => {
	it('ignores aborted requests', () => {
		const abort = new DOMException('The operation was aborted.', 'AbortError');
		expect(isAbort(abort)).toBe(true);
		expect(describeError(abort, 'api-dev')).toBeNull();
		expect(describeError(Object.assign(new Error('x'), { name: 'AbortError' }))).toBeNull();
	});

	it.each([
		[new ApiError(409, 'conflict', 'api-dev is busy.'), undefined, 'api-dev is busy.'],
		[new ApiError(409, 'conflict', 'It is busy.'), 'api-dev', 'api-dev: It is busy.'],
		['Plain words', undefined, 'Plain words'],
		[new TypeError('Cannot read properties of undefined (reading "x")'), 'Stop', 'Stop: Something went wrong. Try again.'],
		[null, undefined, 'Something went wrong. Try again.']
	])('%o in %s → %s', (err, context, expected) => {
		expect(isAbort(err)).toBe(false);
		expect(describeError(err, context)).toBe(expected);
	});
});

describe('errorMessage', () => {
	it.each([
		[new ApiError(409, 'conflict', 'api-dev is busy.'), 'api-dev is busy.'],
		['Plain words', 'Plain words'],
		[new TypeError('Cannot read properties of undefined'), 'Could not list the nodes.'],
		[null, 'Could not list the nodes.']
	])('%o → %s', (err, expected) => {
		expect(errorMessage(err, 'Could not list the nodes.')).toBe(expected);
	});
});
