import { describe, expect, it } from 'vitest';
import { MAX_DELTA_CHARS, isTransient, parseLine, parseStreamEvent, sessionIdOf, summarizeResult } from './stream-json';

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

// Lines as CLI 2.1.332 writes them with --include-partial-messages (trimmed of uuid and session_id).
const real = {
	start:
		'{"type":"stream_event","event":{"type":"message_start","message":{"id":"msg_01A","type":"message","role":"assistant","content":[]}},"parent_tool_use_id":null,"ttft_ms":73,"api_message_id":"msg_01A"}',
	text: '{"type":"stream_event","event":{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}},"parent_tool_use_id":null,"api_message_id":"msg_01A"}',
	delta: '{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"slow li"}},"parent_tool_use_id":null,"api_message_id":"msg_01A"}',
	tool: '{"type":"stream_event","event":{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01B","name":"Bash","input":{}}},"parent_tool_use_id":null,"api_message_id":"msg_01A"}',
	json: '{"type":"stream_event","event":{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"command\\":\\"echo hi\\""}},"parent_tool_use_id":null,"api_message_id":"msg_01A"}',
	stop: '{"type":"stream_event","event":{"type":"content_block_stop","index":0},"parent_tool_use_id":null,"api_message_id":"msg_01A"}',
	messageDelta: '{"type":"stream_event","event":{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":12}},"parent_tool_use_id":null,"api_message_id":"msg_01A"}',
	messageStop: '{"type":"stream_event","event":{"type":"message_stop"},"parent_tool_use_id":"toolu_01P","api_message_id":"msg_01A"}',
	status: '{"type":"system","subtype":"status","status":"requesting","session_id":"s"}'
};
const streamEvent = (line: string) => parseStreamEvent(parseLine(line).data);

describe('partial messages (stream_event lines)', () => {
	it('reads the lines the real CLI writes', () => {
		expect(streamEvent(real.start)).toEqual({ kind: 'message_start', messageId: 'msg_01A', parent: null });
		expect(streamEvent(real.text)).toEqual({ kind: 'block_start', messageId: 'msg_01A', parent: null, index: 0, block: { type: 'text' } });
		expect(streamEvent(real.delta)).toEqual({ kind: 'text', messageId: 'msg_01A', parent: null, index: 0, text: 'slow li' });
		expect(streamEvent(real.tool)).toEqual({ kind: 'block_start', messageId: 'msg_01A', parent: null, index: 1, block: { type: 'tool_use', id: 'toolu_01B', name: 'Bash' } });
		expect(streamEvent(real.json)).toEqual({ kind: 'input_json', messageId: 'msg_01A', parent: null, index: 1, text: '{"command":"echo hi"' });
		expect(streamEvent(real.messageStop)).toEqual({ kind: 'message_stop', messageId: 'msg_01A', parent: 'toolu_01P' });
		// Nothing to show: the assistant line already holds the block; usage is the broker's business.
		expect(streamEvent(real.stop)).toBeNull();
		expect(streamEvent(real.messageDelta)).toBeNull();
	});

	it('calls stream events and status lines transient, and nothing else', () => {
		for (const line of [real.start, real.delta, real.messageStop, real.status]) expect(isTransient(parseLine(line))).toBe(true);
		for (const line of ['{"type":"assistant","message":{}}', '{"type":"system","subtype":"init"}', '{"type":"result"}', 'stream_event', '{"type":"stream_event"']) {
			expect(isTransient(parseLine(line))).toBe(false);
		}
	});

	const ev = (event: unknown, extra: Record<string, unknown> = {}) => ({ type: 'stream_event', event, parent_tool_use_id: null, api_message_id: 'msg_1', ...extra });
	const delta = (d: unknown, index: unknown = 0) => ev({ type: 'content_block_delta', index, delta: d });
	it.each([
		['no event', { type: 'stream_event' }],
		['an event that is a string', ev('message_start')],
		['an event that is an array', ev([{ type: 'message_stop' }])],
		['an event without a type', ev({ index: 0 })],
		['a message id with markup', ev({ type: 'message_start', message: { id: '<img src=x onerror=alert(1)>' } }, { api_message_id: 'x y' })],
		['a message id too long', ev({ type: 'message_start', message: { id: 'm'.repeat(129) } }, { api_message_id: null })],
		['a negative index', delta({ type: 'text_delta', text: 'x' }, -1)],
		['a fractional index', delta({ type: 'text_delta', text: 'x' }, 1.5)],
		['a huge index', delta({ type: 'text_delta', text: 'x' }, 1e9)],
		['an index that is a string', delta({ type: 'text_delta', text: 'x' }, '0')],
		['a text that is not a string', delta({ type: 'text_delta', text: { toString: 'x' } })],
		['an empty text', delta({ type: 'text_delta', text: '' })],
		['a text over the cap', delta({ type: 'text_delta', text: 'x'.repeat(MAX_DELTA_CHARS + 1) })],
		['a thinking delta', delta({ type: 'thinking_delta', thinking: 'hmm' })],
		['a delta without a type', delta({ text: 'x' })],
		['a tool without an id', ev({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', name: 'Bash' } })],
		['a tool name with spaces', ev({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 't1', name: 'rm -rf' } })],
		['a thinking block', ev({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } })],
		['an unknown event', ev({ type: 'ping' })]
	])('drops %s', (_, data) => {
		expect(parseStreamEvent(data as Record<string, unknown>)).toBeNull();
	});

	it('ignores a bad api_message_id and a bad parent rather than trusting them', () => {
		expect(parseStreamEvent(delta({ type: 'text_delta', text: 'x' }))).toMatchObject({ messageId: 'msg_1', parent: null });
		expect(parseStreamEvent({ ...delta({ type: 'text_delta', text: 'x' }), api_message_id: '../../x', parent_tool_use_id: 42 })).toMatchObject({ messageId: null, parent: null });
	});
});
