// A unified diff of two texts, line by line, as `diff -u` and `git diff` print it (3 lines of context,
// "\ No newline at end of file"). No diff library is among Spyre's dependencies, so this is the minimal
// Myers algorithm (E. Myers, "An O(ND) Difference Algorithm", 1986): shortest edit script, common prefix
// and suffix trimmed first. Memory grows with the square of the number of differing lines, so past
// MAX_EDITS the rest is shown as one replacement: still a correct diff, only not the shortest.

export const CONTEXT_LINES = 3;
/** Above this many edits the shortest script is not searched for (its trace would take O(D²) memory). */
export const MAX_EDITS = 2000;

type Op = { kind: ' ' | '-' | '+'; line: string };

/** Lines with their terminator, so "x" at the end of a file differs from "x\n" as in diff(1). */
function lines(text: string): string[] {
	const out = text.split(/(?<=\n)/);
	return out.length === 1 && out[0] === '' ? [] : out;
}

/** The shortest edit script turning a into b, or null when it needs more than `limit` edits. */
function myers(a: string[], b: string[], limit: number): Op[] | null {
	const n = a.length;
	const m = b.length;
	const max = n + m;
	const off = max + 1;
	const v = new Int32Array(2 * max + 3);
	const trace: Int32Array[] = [];
	let found = false;
	for (let d = 0; d <= Math.min(max, limit) && !found; d++) {
		trace.push(v.slice(off - d - 1, off + d + 2));
		for (let k = -d; k <= d; k += 2) {
			let x = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
			let y = x - k;
			while (x < n && y < m && a[x] === b[y]) {
				x++;
				y++;
			}
			v[off + k] = x;
			if (x >= n && y >= m) {
				found = true;
				break;
			}
		}
	}
	if (!found) return null;
	const ops: Op[] = [];
	let x = n;
	let y = m;
	for (let d = trace.length - 1; d >= 0; d--) {
		const t = trace[d];
		const at = (k: number) => t[k + d + 1];
		const k = x - y;
		const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
		const prevX = at(prevK);
		const prevY = prevX - prevK;
		while (x > prevX && y > prevY) {
			ops.push({ kind: ' ', line: a[--x] });
			y--;
		}
		if (d > 0) {
			if (x === prevX) ops.push({ kind: '+', line: b[--y] });
			else ops.push({ kind: '-', line: a[--x] });
		}
	}
	return ops.reverse();
}

function editScript(a: string[], b: string[]): Op[] {
	let start = 0;
	while (start < a.length && start < b.length && a[start] === b[start]) start++;
	let endA = a.length;
	let endB = b.length;
	while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
		endA--;
		endB--;
	}
	const midA = a.slice(start, endA);
	const midB = b.slice(start, endB);
	const middle = myers(midA, midB, MAX_EDITS) ?? [...midA.map((line): Op => ({ kind: '-', line })), ...midB.map((line): Op => ({ kind: '+', line }))];
	return [...a.slice(0, start).map((line): Op => ({ kind: ' ', line })), ...middle, ...a.slice(endA).map((line): Op => ({ kind: ' ', line }))];
}

function printed(op: Op): string {
	const body = op.line.endsWith('\n') ? op.line : `${op.line}\n\\ No newline at end of file\n`;
	return op.kind + body;
}

/** `--- from` / `+++ to` and the hunks; '' when the texts are equal. */
export function unifiedDiff(before: string, after: string, labels: { from: string; to: string }, context = CONTEXT_LINES): string {
	if (before === after) return '';
	const ops = editScript(lines(before), lines(after));
	// Line numbers before each op, in the old and the new text.
	const posA: number[] = [];
	const posB: number[] = [];
	let ia = 0;
	let ib = 0;
	for (const op of ops) {
		posA.push(ia);
		posB.push(ib);
		if (op.kind !== '+') ia++;
		if (op.kind !== '-') ib++;
	}
	const changed = ops.flatMap((op, i) => (op.kind === ' ' ? [] : [i]));
	let out = `--- ${labels.from}\n+++ ${labels.to}\n`;
	let g = 0;
	while (g < changed.length) {
		// A hunk takes every change whose gap to the previous one fits in two contexts.
		let last = g;
		while (last + 1 < changed.length && changed[last + 1] - changed[last] <= 2 * context + 1) last++;
		const from = Math.max(0, changed[g] - context);
		const to = Math.min(ops.length, changed[last] + context + 1);
		const slice = ops.slice(from, to);
		const lenA = slice.filter((o) => o.kind !== '+').length;
		const lenB = slice.filter((o) => o.kind !== '-').length;
		const startA = lenA === 0 ? posA[from] : posA[from] + 1;
		const startB = lenB === 0 ? posB[from] : posB[from] + 1;
		out += `@@ -${startA},${lenA} +${startB},${lenB} @@\n` + slice.map(printed).join('');
		g = last + 1;
	}
	return out;
}
