// Splits the tailed output of a task into complete lines and counts their bytes, so the bridge can store
// "every line up to byte N" and re-attach exactly there after a restart. A line longer than the cap keeps
// only its head in memory (a CLI printing one 50 MB line must not cost 50 MB here); the rest is counted.
// Byte counts come from the decoded text: the CLI writes JSON (always valid UTF-8), so they are exact.

export interface ReadLine {
	/** The line without its newline (its head when cut). */
	text: string;
	/** Bytes of the line in the file, newline included. */
	bytes: number;
	/** Bytes dropped from the end of an over-long line (0 when whole). */
	cutBytes: number;
}

export class OffsetLineReader {
	#head = '';
	#headBytes = 0;
	#extraBytes = 0;
	readonly #maxLineBytes: number;

	constructor(maxLineBytes: number) {
		this.#maxLineBytes = maxLineBytes;
	}

	/** Feed decoded text; returns the lines it completed, in order. */
	push(chunk: string): ReadLine[] {
		const out: ReadLine[] = [];
		let start = 0;
		for (;;) {
			const nl = chunk.indexOf('\n', start);
			const piece = nl === -1 ? chunk.slice(start) : chunk.slice(start, nl);
			this.#append(piece);
			if (nl === -1) break;
			out.push({ text: this.#head, bytes: this.#headBytes + this.#extraBytes + 1, cutBytes: this.#extraBytes });
			this.#head = '';
			this.#headBytes = 0;
			this.#extraBytes = 0;
			start = nl + 1;
		}
		return out;
	}

	/** Bytes of the incomplete line held back (not yet a stored line). */
	get pendingBytes(): number {
		return this.#headBytes + this.#extraBytes;
	}

	/** The incomplete last line, for a task whose file ended without a newline (a crash). */
	takeRest(): ReadLine | null {
		if (this.pendingBytes === 0) return null;
		const rest = { text: this.#head, bytes: this.#headBytes + this.#extraBytes, cutBytes: this.#extraBytes };
		this.#head = '';
		this.#headBytes = 0;
		this.#extraBytes = 0;
		return rest;
	}

	#append(piece: string): void {
		if (piece === '') return;
		const bytes = Buffer.byteLength(piece);
		if (this.#extraBytes > 0 || this.#headBytes + bytes > this.#maxLineBytes) {
			if (this.#extraBytes === 0) {
				// Keep what fits of this piece (whole characters only), count the rest.
				const room = this.#maxLineBytes - this.#headBytes;
				const kept = Buffer.from(piece)
					.subarray(0, Math.max(0, room))
					.toString('utf8')
					.replace(/\uFFFD$/, '');
				const keptBytes = Buffer.byteLength(kept);
				this.#head += kept;
				this.#headBytes += keptBytes;
				this.#extraBytes += bytes - keptBytes;
			} else {
				this.#extraBytes += bytes;
			}
			return;
		}
		this.#head += piece;
		this.#headBytes += bytes;
	}
}
