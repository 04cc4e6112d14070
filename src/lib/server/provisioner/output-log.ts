// Bounded recording of one step's output. A script may print 100 MB: the run log keeps the first lines live
// (so a person watching sees progress), then only counts, and at the end appends the last lines, so the
// log holds the head and the tail and memory stays flat whatever the command prints.

export interface OutputLogOptions {
	/** Lines recorded as they arrive. */
	headLines?: number;
	/** Lines kept (in a ring) once the head is full, appended when the step ends. */
	tailLines?: number;
	/** Longer lines are cut to this many characters. */
	maxLineChars?: number;
}

export interface OutputLog {
	/** Feed one complete line. */
	line(text: string): void;
	/** Flush the tail (call once, when the step ends). */
	finish(): void;
	/** The last lines seen, newest last: what a failure message shows. */
	lastLines(n: number): string[];
	readonly totalLines: number;
}

export function createOutputLog(record: (line: string) => void, options: OutputLogOptions = {}): OutputLog {
	const headLines = options.headLines ?? 400;
	const tailLines = options.tailLines ?? 50;
	const maxLineChars = options.maxLineChars ?? 2000;
	// The ring of recent lines serves both the tail flush and lastLines(); it never holds more than this.
	const ringSize = Math.max(tailLines, 50);
	const ring: string[] = [];
	let total = 0;
	let finished = false;

	const cut = (text: string) => (text.length > maxLineChars ? `${text.slice(0, maxLineChars)}…` : text);

	return {
		get totalLines() {
			return total;
		},
		line(text) {
			const clean = cut(text.replace(/\r$/, ''));
			total++;
			ring.push(clean);
			if (ring.length > ringSize) ring.shift();
			if (total <= headLines) record(clean);
		},
		finish() {
			if (finished) return;
			finished = true;
			if (total <= headLines) return;
			const unseen = total - headLines;
			const tail = ring.slice(-Math.min(tailLines, unseen));
			const omitted = unseen - tail.length;
			if (omitted > 0) record(`… ${omitted} line${omitted === 1 ? '' : 's'} omitted …`);
			for (const l of tail) record(l);
		},
		lastLines(n) {
			return ring.slice(-n);
		}
	};
}
