// The one rule for a task's partial blocks (text and tool input still being written), run by the server
// when it keeps them and by every client that shows them (the task page, the bench): a stored `assistant`
// event ends the partial blocks of its message, and partial frames apply by character offset, so a piece
// the client already has (the snapshot after a reconnect overlaps the next live frame) is never shown twice.

import type { PartialPiece, TaskEvent, TaskPartialFrame } from '$lib/shared/types/claude';

export interface PartialBlock {
	messageId: string;
	index: number;
	type: 'text' | 'tool_use';
	name?: string;
	id?: string;
	text: string;
	truncated: boolean;
}

/**
 * The message whose current blocks a stored event completes. The CLI writes one `assistant` line per
 * content block, when that block ends and before the next one starts, so every block of that message
 * shown live so far is now in the transcript.
 */
export function completedMessageId(event: Pick<TaskEvent, 'type' | 'data'>): string | null {
	if (event.type !== 'assistant') return null;
	const message = event.data.message;
	const id = message && typeof message === 'object' ? (message as { id?: unknown }).id : null;
	return typeof id === 'string' ? id : null;
}

/** The blocks without those of `messageId`. */
export function dropMessage(blocks: PartialBlock[], messageId: string): PartialBlock[] {
	return blocks.some((b) => b.messageId === messageId) ? blocks.filter((b) => b.messageId !== messageId) : blocks;
}

/** The blocks after a stored event (unchanged unless it completes a message). */
export function afterEvent(blocks: PartialBlock[], event: Pick<TaskEvent, 'type' | 'data'>): PartialBlock[] {
	const id = completedMessageId(event);
	return id ? dropMessage(blocks, id) : blocks;
}

function applyPiece(blocks: PartialBlock[], p: PartialPiece): PartialBlock[] {
	const at = blocks.findIndex((b) => b.messageId === p.messageId && b.index === p.index);
	const have = at === -1 ? null : blocks[at];
	const length = have?.text.length ?? 0;
	// A gap (a piece starting past what this client has) cannot be filled: wait for the completed block.
	if (p.from > length) return blocks;
	const added = p.text.slice(length - p.from);
	if (have && added === '' && have.truncated === (p.truncated === true)) return blocks;
	const next: PartialBlock = {
		messageId: p.messageId,
		index: p.index,
		type: p.type,
		...(p.name ? { name: p.name } : {}),
		...(p.id ? { id: p.id } : {}),
		text: (have?.text ?? '') + added,
		truncated: have?.truncated === true || p.truncated === true
	};
	return at === -1 ? [...blocks, next] : blocks.map((b, i) => (i === at ? next : b));
}

/** The blocks after a partial frame. */
export function applyPartialFrame(blocks: PartialBlock[], frame: TaskPartialFrame): PartialBlock[] {
	let out = frame.reset ? [] : blocks;
	for (const id of frame.done ?? []) out = dropMessage(out, id);
	for (const piece of frame.pieces) out = applyPiece(out, piece);
	return out;
}
