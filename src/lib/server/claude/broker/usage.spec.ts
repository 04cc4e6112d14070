import { describe, expect, it } from 'vitest';
import { UsageMeter } from './usage';
import { FALLBACK_PRICE, costUsd, priceOf } from './pricing';
import { budgetRefusal } from './budget';

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
const stream = [
	sse('message_start', {
		type: 'message_start',
		message: { id: 'm', model: 'claude-sonnet-4-5', usage: { input_tokens: 1200, output_tokens: 1, cache_creation_input_tokens: 300, cache_read_input_tokens: 4000 } }
	}),
	sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
	sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'a "message_delta" in the text' } }),
	sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 250 } }),
	sse('message_stop', { type: 'message_stop' })
].join('');

describe('UsageMeter', () => {
	it('reads message_start and message_delta usage, however the stream is cut into chunks', () => {
		for (const size of [1, 7, 64, stream.length]) {
			const m = new UsageMeter('text/event-stream; charset=utf-8');
			for (let i = 0; i < stream.length; i += size) m.push(Buffer.from(stream.slice(i, i + size)));
			m.end();
			expect(m.model).toBe('claude-sonnet-4-5');
			expect(m.usage).toEqual({ inputTokens: 1200, outputTokens: 250, cacheCreationTokens: 300, cacheReadTokens: 4000 });
		}
	});

	it('takes a later cumulative count over an earlier one, and ignores junk', () => {
		const m = new UsageMeter('text/event-stream');
		m.push(Buffer.from('data: {not json "message_start"\n'));
		m.push(Buffer.from(sse('message_delta', { type: 'message_delta', usage: { output_tokens: 5, input_tokens: 9 } })));
		m.push(Buffer.from(sse('message_delta', { type: 'message_delta', usage: { output_tokens: 7, input_tokens: -3 } })));
		m.end();
		expect(m.usage).toEqual({ inputTokens: 9, outputTokens: 7, cacheCreationTokens: 0, cacheReadTokens: 0 });
	});

	it('reads a plain JSON answer at its end', () => {
		const m = new UsageMeter('application/json');
		m.push(Buffer.from('{"model":"claude-haiku-4-5","usage":{"input_tokens":10,'));
		m.push(Buffer.from('"output_tokens":20}}'));
		m.end();
		expect(m.model).toBe('claude-haiku-4-5');
		expect(m.usage.outputTokens).toBe(20);
	});

	it('skips an over-long line without holding it', () => {
		const m = new UsageMeter('text/event-stream');
		m.push(Buffer.from('data: ' + 'x'.repeat(300 * 1024)));
		m.push(Buffer.from('\n' + sse('message_delta', { type: 'message_delta', usage: { output_tokens: 3 } })));
		m.end();
		expect(m.usage.outputTokens).toBe(3);
	});
});

describe('pricing', () => {
	it('prices by model family, and an unknown model at the highest rate', () => {
		expect(priceOf('claude-sonnet-4-5-20250929').input).toBe(3);
		expect(priceOf('claude-opus-4-1').output).toBe(75);
		expect(priceOf('claude-opus-4-5').output).toBe(25);
		expect(priceOf('claude-haiku-4-5').input).toBe(1);
		expect(priceOf('something-new')).toEqual(FALLBACK_PRICE);
		expect(priceOf(null)).toEqual(FALLBACK_PRICE);
		expect(costUsd('claude-sonnet-4-5', { inputTokens: 1_000_000, outputTokens: 1_000_000, cacheCreationTokens: 1_000_000, cacheReadTokens: 1_000_000 })).toBeCloseTo(3 + 15 + 3.75 + 0.3);
	});
});

describe('budgetRefusal', () => {
	const ok = { taskSpentUsd: 0.5, taskBudgetUsd: 1, monthSpentUsd: 10, monthlyBudgetUsd: 100 };
	it('refuses at the task budget, then at the monthly budget, and says which', () => {
		expect(budgetRefusal(ok)).toBeNull();
		expect(budgetRefusal({ ...ok, taskSpentUsd: 1 })).toMatch(/task reached its budget of \$1\.00/);
		expect(budgetRefusal({ ...ok, monthSpentUsd: 100 })).toMatch(/this month's Claude budget of \$100\.00 is used up.*claude\.monthly_budget_usd/);
		expect(budgetRefusal({ taskSpentUsd: 99, taskBudgetUsd: null, monthSpentUsd: 99, monthlyBudgetUsd: null })).toBeNull();
	});
});
