// Keeps the head and the tail of a command's output, so that a command printing 100 MB costs a bounded
// amount of memory while the log still shows how it started and how it ended (where errors usually are).
// Pure: no I/O, no SSH. Bytes, not characters: the bound is on memory.

/** Chunks kept in the tail are copied, so a slice never pins a large buffer of the caller's. */
export class HeadTailBuffer {
	readonly #headMax: number;
	readonly #tailMax: number;
	readonly #head: Buffer[] = [];
	#headBytes = 0;
	#tail: Buffer[] = [];
	#tailBytes = 0;
	#total = 0;

	/** `maxBytes` is split evenly between head and tail. */
	constructor(maxBytes = 128 * 1024) {
		if (!Number.isInteger(maxBytes) || maxBytes < 2) throw new RangeError('maxBytes must be an integer >= 2');
		this.#headMax = Math.floor(maxBytes / 2);
		this.#tailMax = maxBytes - this.#headMax;
	}

	/** Bytes pushed so far, kept or not. */
	get totalBytes(): number {
		return this.#total;
	}

	/** Bytes dropped between head and tail. */
	get omittedBytes(): number {
		return this.#total - this.#headBytes - this.#tailBytes;
	}

	get truncated(): boolean {
		return this.omittedBytes > 0;
	}

	push(chunk: Buffer | string): void {
		let rest = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
		if (rest.length === 0) return;
		this.#total += rest.length;
		if (this.#headBytes < this.#headMax) {
			const take = Math.min(this.#headMax - this.#headBytes, rest.length);
			this.#head.push(Buffer.from(rest.subarray(0, take)));
			this.#headBytes += take;
			rest = rest.subarray(take);
			if (rest.length === 0) return;
		}
		// Only the last tailMax bytes of this chunk can survive; copy just those.
		const kept = Buffer.from(rest.subarray(Math.max(0, rest.length - this.#tailMax)));
		this.#tail.push(kept);
		this.#tailBytes += kept.length;
		while (this.#tailBytes > this.#tailMax) {
			const first = this.#tail[0];
			const excess = this.#tailBytes - this.#tailMax;
			if (first.length <= excess) {
				this.#tail.shift();
				this.#tailBytes -= first.length;
			} else {
				this.#tail[0] = first.subarray(excess);
				this.#tailBytes -= excess;
			}
		}
	}

	/** The kept output as text; a marker line stands where bytes were dropped. */
	toString(): string {
		const head = Buffer.concat(this.#head);
		const tail = Buffer.concat(this.#tail);
		const omitted = this.omittedBytes;
		if (omitted === 0) return Buffer.concat([head, tail]).toString('utf8');
		// Cut at character boundaries so the marker is not surrounded by replacement characters.
		const h = trimIncompleteEnd(head).toString('utf8');
		const t = trimContinuationStart(tail).toString('utf8');
		return `${h}\n… ${omitted} bytes omitted …\n${t}`;
	}
}

/** Drop a UTF-8 sequence cut off at the end of `buf`. */
export function trimIncompleteEnd(buf: Buffer): Buffer {
	// Walk back over at most 3 continuation bytes to the lead byte of the last character.
	let i = buf.length - 1;
	let back = 0;
	while (i >= 0 && back < 3 && (buf[i] & 0xc0) === 0x80) {
		i--;
		back++;
	}
	if (i < 0) return buf;
	const lead = buf[i];
	const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	return buf.length - i < need ? buf.subarray(0, i) : buf;
}

/** Drop UTF-8 continuation bytes at the start of `buf` (the rest of a character cut off before it). */
export function trimContinuationStart(buf: Buffer): Buffer {
	let i = 0;
	while (i < buf.length && i < 3 && (buf[i] & 0xc0) === 0x80) i++;
	return buf.subarray(i);
}
