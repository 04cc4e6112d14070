import { describe, expect, it } from 'vitest';
import { parseLine, sessionIdOf, summarizeResult } from './stream-json';

describe('parseLine', () => {
	it.each([
		['{"type":"assistant","message":{}}', 'assistant'],
		['{"type":"result","subtype":"success"}', 'result'],
		['  {"type":"system","subtype":"init"}  ', 'system'],
		['{"no":"type"}', 'unknown'],
		['{"type":"<script>"}', 'unknown'],
		['{"type":"assis', 'raw'],
		['Error: something on stderr', 'raw'],
		['[1,2]', 'raw'],
		['', 'raw'],
		['{"type":"user"} trailing', 'raw']
	])('%j is a %s event', (line, type) => {
		expect(parseLine(line).type).toBe(type);
	});

	it('keeps a raw line as text and marks a cut line', () => {
		expect(parseLine('oops')).toEqual({ type: 'raw', data: { text: 'oops' } });
		expect(parseLine('{"type":"assistant"', 1234)).toEqual({ type: 'raw', data: { text: '{"type":"assistant"', truncated: true, droppedBytes: 1234 } });
	});

	it('finds the session id in the init line only', () => {
		expect(sessionIdOf(parseLine('{"type":"system","subtype":"init","session_id":"abc"}'))).toBe('abc');
		expect(sessionIdOf(parseLine('{"type":"assistant","session_id":"abc"}'))).toBeNull();
	});
});

describe('summarizeResult', () => {
	it('reads a success', () => {
		const s = summarizeResult({ type: 'result', subtype: 'success', is_error: false, result: 'Done', total_cost_usd: 0.01, num_turns: 2, duration_ms: 1500, session_id: 's1' });
		expect(s).toMatchObject({ status: 'succeeded', result: 'Done', error: null, costUsd: 0.01, numTurns: 2, durationMs: 1500, sessionId: 's1', authFailure: false });
	});

	it('reads error_max_turns, which has no result field', () => {
		const s = summarizeResult({ type: 'result', subtype: 'error_max_turns', is_error: true, errors: ['Reached maximum number of turns (1)'], num_turns: 2 });
		expect(s).toMatchObject({ status: 'failed', result: null, error: 'Reached maximum number of turns (1)', authFailure: false });
	});

	it.each([
		['Not logged in · Please run /login', null],
		['Invalid API key · Fix external API key', 401],
		['Failed to authenticate. API Error: 401 OAuth token has expired.', 401],
		['OAuth token revoked · Please run /login', 403]
	])('sees an auth failure in %j', (result, status) => {
		expect(summarizeResult({ type: 'result', subtype: 'success', is_error: true, result, api_error_status: status }).authFailure).toBe(true);
	});

	it('does not call an unreachable API an auth failure', () => {
		const s = summarizeResult({ type: 'result', subtype: 'success', is_error: true, result: 'API Error: Unable to connect to API (ConnectionRefused)', api_error_status: null });
		expect(s).toMatchObject({ status: 'failed', authFailure: false });
	});

	it('ignores nonsense numbers', () => {
		expect(summarizeResult({ total_cost_usd: -1, num_turns: 'x', duration_ms: Infinity })).toMatchObject({ costUsd: null, numTurns: null, durationMs: null });
	});
});
