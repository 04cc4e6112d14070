// The nesting-depth cap on config text, checked BEFORE the YAML parser builds anything: the parser's
// composer recurses once per level, so ~200 KB of `[` (or `{"a":` in JSON, which is YAML) exhausts the
// stack. This walks the `yaml` package's lexer, which is iterative and stops at the first level past the
// cap. Block levels are counted by the columns at which nodes start (an upper bound: a scalar after
// `key:` counts as a level too); flow levels by their brackets. Pure; never throws.

import { Lexer } from 'yaml';
import type { ConfigProblem } from '$lib/shared/types/configs';

/** Far beyond any real config (a deep one is ~8 levels), far below what exhausts the stack. */
export const MAX_NESTING_DEPTH = 64;

/** Lexer tokens that are markers, not source text (document mode, flow error end, scalar follows). */
const MARKERS = new Set(['\u0002', '\u0018', '\u001f']);

/** A problem when `text` nests deeper than `max` levels, else null. */
export function nestingProblem(text: string, max = MAX_NESTING_DEPTH): ConfigProblem | null {
	let flow = 0;
	let column = 0;
	let line = 1;
	let scalarNext = false;
	const columns: number[] = [];
	for (const token of new Lexer().lex(text)) {
		if (MARKERS.has(token)) {
			if (token === '\u001f') scalarNext = true;
			continue;
		}
		const isScalar = scalarNext;
		scalarNext = false;
		const startColumn = column;
		const breaks = token.split('\n').length - 1;
		if (breaks > 0) {
			line += breaks;
			column = token.length - token.lastIndexOf('\n') - 1;
		} else column += token.length;
		if (token === '\n' || token.trim() === '' || token.startsWith('#')) continue;
		if (!isScalar && (token === '[' || token === '{')) flow++;
		else if (!isScalar && (token === ']' || token === '}')) flow = Math.max(0, flow - 1);
		else if (flow === 0 && !(token === ':' || token === ',' || token === '---' || token === '...')) {
			// A node starts at this column: it closes every block level at or right of it, then opens one.
			while (columns.length > 0 && columns[columns.length - 1] >= startColumn) columns.pop();
			columns.push(startColumn);
		}
		if (flow + columns.length > max) {
			return {
				path: '',
				message: `the config nests deeper than ${max} levels: refused before parsing (a real config needs far fewer)`,
				line,
				col: null,
				severity: 'error'
			};
		}
	}
	return null;
}
