// Turns the server's problems (1-based line/col, end exclusive) into document offsets for the editor's
// underlines. Problems without a place in this text (they come from a base) get the first line, so they
// are still seen. Pure; clamps anything out of range rather than throwing, since the text may have
// changed since the check ran.

import type { ConfigProblem } from '$lib/shared/types/configs';

/** The minimal view of a document: its line count and each line's start offset and length. */
export interface LineIndex {
	lines: number;
	line(n: number): { from: number; to: number };
}

export interface ProblemRange {
	from: number;
	to: number;
	problem: ConfigProblem;
}

export function lineIndexOf(text: string): LineIndex {
	const starts = [0];
	for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
	return {
		lines: starts.length,
		line(n) {
			const from = starts[n - 1];
			const to = n < starts.length ? starts[n] - 1 : text.length;
			return { from, to };
		}
	};
}

function offset(doc: LineIndex, line: number, col: number): number {
	const l = doc.line(Math.min(Math.max(1, line), doc.lines));
	return Math.min(Math.max(l.from, l.from + col - 1), l.to);
}

export function problemRange(doc: LineIndex, problem: ConfigProblem): ProblemRange {
	if (problem.line === null || problem.line === undefined) {
		const first = doc.line(1);
		return { from: first.from, to: first.to, problem };
	}
	const from = offset(doc, problem.line, problem.col ?? 1);
	let to: number;
	if (problem.endLine && problem.endCol) to = offset(doc, problem.endLine, problem.endCol);
	else {
		// No end: underline the rest of the line.
		const line = doc.line(Math.min(Math.max(1, problem.line), doc.lines));
		to = line.to;
	}
	if (to <= from) {
		const line = doc.line(Math.min(Math.max(1, problem.line), doc.lines));
		to = Math.min(from + 1, Math.max(line.to, from));
	}
	return { from, to, problem };
}

/** Where a problem is, in words, for the list under the editor. */
export function problemPlace(problem: ConfigProblem): string {
	if (problem.line === null || problem.line === undefined) return 'from a base';
	return problem.col ? `line ${problem.line}:${problem.col}` : `line ${problem.line}`;
}
