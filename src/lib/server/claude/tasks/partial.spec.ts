import { afterEach, describe, expect, it } from 'vitest';
import { afterEvent, applyPartialFrame, type PartialBlock } from '$lib/shared/task-partial';
import type { TaskPartialFrame } from '$lib/shared/types/claude';
import { PartialReply, partialLimits } from './partial';
import type { StreamDelta } from './stream-json';

const M = 'msg_1';
const start = (messageId = M, parent: string | null = null): StreamDelta => ({ kind: 'message_start', messageId, parent });
const text = (index: number, t: string, messageId: string | null = M): StreamDelta => ({ kind: 'text', messageId, parent: null, index, text: t });
const json = (index: number, t: string): StreamDelta => ({ kind: 'input_json', messageId: M, parent: null, index, text: t });
const textBlock = (index: number, messageId: string | null = M): StreamDelta => ({ kind: 'block_start', messageId, parent: null, index, block: { type: 'text' } });
const toolBlock = (index: number): StreamDelta => ({ kind: 'block_start', messageId: M, parent: null, index, block: { type: 'tool_use', id: 'toolu_1', name: 'Bash' } });
const stop = (messageId: string | null = M): StreamDelta => ({ kind: 'message_stop', messageId, parent: null });
const assistant = (messageId = M) => ({ type: 'assistant', data: { message: { id: messageId, content: [] } } });

/** A client: applies frames like the task page does. */
class Client {
	blocks: PartialBlock[] = [];
	frame(f: Omit<TaskPartialFrame, 'kind'>) {
		this.blocks = applyPartialFrame(this.blocks, { kind: 'partial', ...f });
	}
	event(e: ReturnType<typeof assistant>) {
		this.blocks = afterEvent(this.blocks, e);
	}
	get texts() {
		return this.blocks.map((b) => `${b.messageId}#${b.index}:${b.type}:${b.text}`);
	}
}

const defaults = { ...partialLimits };
afterEach(() => Object.assign(partialLimits, defaults));

describe('PartialReply', () => {
	it('grows text and tool input per block and hands out only what is new', () => {
		const r = new PartialReply();
		for (const d of [start(), textBlock(0), text(0, 'Hel'), text(0, 'lo')]) r.apply(d);
		expect(r.takeChanges()).toEqual({ done: [], pieces: [{ messageId: M, index: 0, type: 'text', from: 0, text: 'Hello' }] });
		r.apply(text(0, ' world'));
		r.apply(toolBlock(1));
		r.apply(json(1, '{"command":'));
		expect(r.takeChanges().pieces).toEqual([
			{ messageId: M, index: 0, type: 'text', from: 5, text: ' world' },
			{ messageId: M, index: 1, type: 'tool_use', name: 'Bash', id: 'toolu_1', from: 0, text: '{"command":' }
		]);
		expect(r.takeChanges()).toEqual({ done: [], pieces: [] });
		expect(r.snapshot().map((p) => [p.index, p.from, p.text])).toEqual([
			[0, 0, 'Hello world'],
			[1, 0, '{"command":']
		]);
	});

	it('uses the current message of the stream when a line names none', () => {
		const r = new PartialReply();
		r.apply(start('msg_2'));
		r.apply(textBlock(0, null));
		r.apply(text(0, 'x', null));
		expect(r.snapshot()).toMatchObject([{ messageId: 'msg_2', text: 'x' }]);
		// Without any message, nothing is kept.
		const empty = new PartialReply();
		empty.apply(textBlock(0, null));
		empty.apply(text(0, 'x', null));
		expect(empty.empty).toBe(true);
	});

	it('ignores deltas for blocks never started, of the wrong kind, or started twice', () => {
		const r = new PartialReply();
		r.apply(text(0, 'orphan'));
		r.apply(textBlock(0));
		r.apply(json(0, '{"not":"text"}'));
		r.apply(text(0, 'a'));
		r.apply(textBlock(0));
		r.apply(text(0, 'b'));
		expect(r.snapshot()).toMatchObject([{ index: 0, text: 'ab' }]);
	});

	it('drops a completed message silently, and tells clients when a message stops', () => {
		const r = new PartialReply();
		for (const d of [textBlock(0), text(0, 'a'), textBlock(0, 'msg_2'), text(0, 'b', 'msg_2')]) r.apply(d);
		r.takeChanges();
		r.complete(M);
		expect(r.takeChanges()).toEqual({ done: [], pieces: [] });
		r.apply(stop('msg_2'));
		expect(r.takeChanges()).toEqual({ done: ['msg_2'], pieces: [] });
		expect(r.empty).toBe(true);
	});

	it('bounds what a flood costs: characters over all blocks, messages and blocks', () => {
		partialLimits.maxChars = 10;
		partialLimits.maxMessages = 2;
		partialLimits.maxBlocks = 2;
		const r = new PartialReply();
		r.apply(textBlock(0));
		r.apply(text(0, '123456'));
		r.apply(textBlock(1));
		r.apply(text(1, 'abcdefgh'));
		r.apply(text(1, 'more'));
		r.apply(text(0, 'more'));
		r.apply(textBlock(2));
		expect(r.takeChanges().pieces).toEqual([
			{ messageId: M, index: 0, type: 'text', from: 0, text: '123456', truncated: true },
			{ messageId: M, index: 1, type: 'text', from: 0, text: 'abcd', truncated: true }
		]);
		// A third message pushes out the oldest, and clients are told.
		r.apply(textBlock(0, 'msg_2'));
		r.apply(textBlock(0, 'msg_3'));
		expect(r.takeChanges().done).toEqual([M]);
		// The room it held is free again.
		r.apply(text(0, '0123456789', 'msg_3'));
		expect(r.snapshot()).toMatchObject([
			{ messageId: 'msg_2', text: '' },
			{ messageId: 'msg_3', text: '0123456789' }
		]);
	});
});

describe('server and clients together', () => {
	it('a client that connects mid-block gets the text so far, then the rest, never twice', () => {
		const r = new PartialReply();
		const early = new Client();
		const frames: Array<Omit<TaskPartialFrame, 'kind'>> = [];
		const flush = () => {
			const c = r.takeChanges();
			if (c.pieces.length || c.done.length) frames.push(c);
			return c;
		};
		r.apply(start());
		r.apply(textBlock(0));
		r.apply(text(0, 'line 1\n'));
		early.frame(flush());
		r.apply(text(0, 'line 2\n'));
		// Connects now, while 'line 2' waits for the next coalesced frame: its snapshot already has it.
		const late = new Client();
		late.frame({ reset: true, pieces: r.snapshot() });
		r.apply(text(0, 'line 3\n'));
		const next = flush();
		early.frame(next);
		late.frame(next);
		expect(late.texts).toEqual([`${M}#0:text:line 1\nline 2\nline 3\n`]);
		expect(early.texts).toEqual(late.texts);
		// The completed block arrives as a stored event: the partial gives way to it, on every client.
		r.complete(M);
		early.event(assistant());
		late.event(assistant());
		expect(early.blocks).toEqual([]);
		expect(late.blocks).toEqual([]);
		// The next block of the same message starts from nothing.
		r.apply(toolBlock(1));
		r.apply(json(1, '{}'));
		const tool = flush();
		late.frame(tool);
		expect(late.texts).toEqual([`${M}#1:tool_use:{}`]);
	});

	it('a client ignores a piece past what it has (a gap) instead of showing text out of order', () => {
		const c = new Client();
		c.frame({ pieces: [{ messageId: M, index: 0, type: 'text', from: 5, text: 'later' }] });
		expect(c.blocks).toEqual([]);
		c.frame({ pieces: [{ messageId: M, index: 0, type: 'text', from: 0, text: 'early' }] });
		c.frame({ pieces: [{ messageId: M, index: 0, type: 'text', from: 3, text: 'ly and more' }] });
		expect(c.texts).toEqual([`${M}#0:text:early and more`]);
		c.frame({ reset: true, pieces: [] });
		expect(c.blocks).toEqual([]);
	});

	it('splitting the same stream into any frames gives the same text', () => {
		const chunks = Array.from({ length: 200 }, (_, i) => `l${i} `);
		for (const every of [1, 3, 7, 50, 200]) {
			const r = new PartialReply();
			const c = new Client();
			r.apply(textBlock(0));
			chunks.forEach((t, i) => {
				r.apply(text(0, t));
				if ((i + 1) % every === 0) c.frame(r.takeChanges());
			});
			c.frame(r.takeChanges());
			expect(c.blocks[0].text).toBe(chunks.join(''));
		}
	});
});
