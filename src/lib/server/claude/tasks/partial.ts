// One task's partial reply: the content blocks the CLI is still writing, built from its `stream_event`
// lines (parsed and checked by stream-json.ts) and handed out as pieces (types/claude.ts PartialPiece).
// Pure and bounded: the lines come from the environment, so a flood of deltas costs at most
// `maxChars` characters and `maxMessages` messages here, whatever it claims.

import type { PartialPiece } from '$lib/shared/types/claude';
import type { StreamDelta } from './stream-json';

export const partialLimits = {
	/** Characters kept over all partial blocks of one task; past it a block stops growing (marked truncated). */
	maxChars: 2 * 1024 * 1024,
	/** Messages with partial blocks at once (a subagent streams beside its parent); the oldest goes first. */
	maxMessages: 4,
	/** Blocks per message shown live. */
	maxBlocks: 64
};

interface Block {
	index: number;
	type: 'text' | 'tool_use';
	name?: string;
	id?: string;
	text: string;
	/** Characters already handed out by takeFrame(). */
	sent: number;
	truncated: boolean;
	/** The truncation was not handed out yet. */
	truncatedUnsent: boolean;
}

export interface PartialChanges {
	done: string[];
	pieces: PartialPiece[];
}

export class PartialReply {
	/** messageId → its blocks by index, oldest message first. */
	#messages = new Map<string, Map<number, Block>>();
	/** parent_tool_use_id ('' for the main conversation) → the message it streams now. */
	#current = new Map<string, string>();
	#chars = 0;
	#done = new Set<string>();

	/** Apply one delta; true when something shown changed. */
	apply(d: StreamDelta): boolean {
		const parent = d.parent ?? '';
		if (d.kind === 'message_start') {
			this.#current.set(parent, d.messageId);
			return false;
		}
		const messageId = d.messageId ?? this.#current.get(parent) ?? null;
		if (!messageId) return false;
		if (d.kind === 'message_stop') {
			if (this.#current.get(parent) === messageId) this.#current.delete(parent);
			return this.#end(messageId, true);
		}
		if (d.kind === 'block_start') {
			const blocks = this.#blocksOf(messageId);
			if (blocks.has(d.index) || blocks.size >= partialLimits.maxBlocks) return false;
			blocks.set(d.index, { index: d.index, ...d.block, text: '', sent: 0, truncated: false, truncatedUnsent: false });
			return false;
		}
		const block = this.#messages.get(messageId)?.get(d.index);
		if (!block || (block.type === 'text') !== (d.kind === 'text') || block.truncated) return false;
		const room = partialLimits.maxChars - this.#chars;
		const text = d.text.length > room ? d.text.slice(0, Math.max(0, room)) : d.text;
		block.text += text;
		this.#chars += text.length;
		if (text.length < d.text.length) block.truncated = block.truncatedUnsent = true;
		return true;
	}

	/** The message's blocks are in the transcript now (its `assistant` line was stored). */
	complete(messageId: string): void {
		// Clients drop them on the stored event itself, by the same rule (shared/task-partial.ts).
		this.#end(messageId, false);
	}

	/** What changed since the last call: pieces not handed out yet, and messages that ended. */
	takeChanges(): PartialChanges {
		const done = [...this.#done];
		this.#done.clear();
		const pieces: PartialPiece[] = [];
		for (const [messageId, blocks] of this.#messages) {
			for (const b of blocks.values()) {
				if (b.text.length === b.sent && !b.truncatedUnsent) continue;
				pieces.push(this.#piece(messageId, b, b.sent));
				b.sent = b.text.length;
				b.truncatedUnsent = false;
			}
		}
		return { done, pieces };
	}

	/** Every partial block from its start, for a client that just connected. */
	snapshot(): PartialPiece[] {
		const pieces: PartialPiece[] = [];
		for (const [messageId, blocks] of this.#messages) for (const b of blocks.values()) pieces.push(this.#piece(messageId, b, 0));
		return pieces;
	}

	get empty(): boolean {
		return this.#messages.size === 0 && this.#done.size === 0;
	}

	#piece(messageId: string, b: Block, from: number): PartialPiece {
		return {
			messageId,
			index: b.index,
			type: b.type,
			...(b.type === 'tool_use' ? { name: b.name, id: b.id } : {}),
			from,
			text: b.text.slice(from),
			...(b.truncated ? { truncated: true as const } : {})
		};
	}

	#blocksOf(messageId: string): Map<number, Block> {
		let blocks = this.#messages.get(messageId);
		if (!blocks) {
			if (this.#messages.size >= partialLimits.maxMessages) this.#end(this.#messages.keys().next().value!, true);
			this.#messages.set(messageId, (blocks = new Map()));
		}
		return blocks;
	}

	#end(messageId: string, tell: boolean): boolean {
		const blocks = this.#messages.get(messageId);
		if (!blocks) return false;
		for (const b of blocks.values()) this.#chars -= b.text.length;
		this.#messages.delete(messageId);
		if (tell) this.#done.add(messageId);
		return tell;
	}
}
