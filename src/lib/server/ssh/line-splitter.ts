// Splits a stream of text into lines for callers that log or parse line by line. The partial line
// waiting for its newline is bounded: a "line" longer than `maxLineLength` (a progress bar redrawn with
// \r, a minified file) is emitted in pieces rather than growing without end. Pure.

export class LineSplitter {
	readonly #onLine: (line: string) => void;
	readonly #max: number;
	#partial = '';

	constructor(onLine: (line: string) => void, maxLineLength = 64 * 1024) {
		if (!Number.isInteger(maxLineLength) || maxLineLength < 1) throw new RangeError('maxLineLength must be a positive integer');
		this.#onLine = onLine;
		this.#max = maxLineLength;
	}

	/** Feed decoded text (use a StringDecoder upstream so characters are never split). */
	push(text: string): void {
		let start = 0;
		for (;;) {
			const nl = text.indexOf('\n', start);
			if (nl === -1) break;
			this.#emit(this.#partial + text.slice(start, nl));
			this.#partial = '';
			start = nl + 1;
		}
		this.#partial += text.slice(start);
		while (this.#partial.length > this.#max) {
			this.#onLine(this.#partial.slice(0, this.#max));
			this.#partial = this.#partial.slice(this.#max);
		}
	}

	/** Emit the last line if it had no newline. */
	end(): void {
		if (this.#partial !== '') this.#emit(this.#partial);
		this.#partial = '';
	}

	#emit(line: string): void {
		// CRLF output (Windows tools, some pagers) must not leave a \r at the end of every line.
		const text = line.endsWith('\r') ? line.slice(0, -1) : line;
		// A completed line can still be longer than the bound when it arrived in one piece.
		for (let i = 0; i < text.length; i += this.#max) this.#onLine(text.slice(i, i + this.#max));
		if (text.length === 0) this.#onLine('');
	}
}
