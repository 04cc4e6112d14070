// A unified diff of two texts, line by line, as `diff -u` and `git diff` print it (3 lines of context,
// "\ No newline at end of file"), made by jsdiff (the `diff` package). Its Myers search is bounded: past
// MAX_EDITS differing lines it gives up, and the diff shows the whole text as one replacement instead —
// still a correct diff that patch(1) applies, only not the shortest.
import { createTwoFilesPatch, structuredPatch } from 'diff';

export const CONTEXT_LINES = 3;
/** Above this many edits the shortest script is not searched for (the search's cost grows with its square). */
export const MAX_EDITS = 2000;

/** jsdiff prints a line of `=` before the file names; `diff -u` and git do not. */
const withoutRule = (patch: string): string => patch.replace(/^=+\n/, '');

/** The body lines of a diff against an empty text: every line of `text`, each marked with `mark`. */
function allLines(text: string, side: 'before' | 'after'): string[] {
	const patch = side === 'before' ? structuredPatch('', '', text, '', '', '', { context: 0 }) : structuredPatch('', '', '', text, '', '', { context: 0 });
	return patch.hunks.flatMap((h) => h.lines);
}

function wholeReplacement(before: string, after: string, labels: { from: string; to: string }): string {
	const removed = allLines(before, 'before');
	const added = allLines(after, 'after');
	const n = removed.filter((l) => l.startsWith('-')).length;
	const m = added.filter((l) => l.startsWith('+')).length;
	return [`--- ${labels.from}`, `+++ ${labels.to}`, `@@ -${n ? 1 : 0},${n} +${m ? 1 : 0},${m} @@`, ...removed, ...added, ''].join('\n');
}

export function unifiedDiff(before: string, after: string, labels: { from: string; to: string }, context = CONTEXT_LINES): string {
	if (before === after) return '';
	const patch = createTwoFilesPatch(labels.from, labels.to, before, after, undefined, undefined, { context, maxEditLength: MAX_EDITS });
	return patch === undefined ? wholeReplacement(before, after, labels) : withoutRule(patch);
}
