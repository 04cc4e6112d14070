// Maps a key path (['spec', 'provision', 'files', 2, 'mode']) to a 1-based line/column range in the YAML
// text, using the nodes of the parsed Document. When the path does not exist (a missing key), the deepest
// existing ancestor is used, preferring its key so the editor underlines `platform:` rather than a whole
// block.

import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export interface Span {
	line: number;
	col: number;
	endLine: number;
	endCol: number;
}

type Range = [number, number, number?];

function child(doc: Document, node: unknown, segment: PropertyKey): { key: Node | null; value: Node | null } | null {
	const target = isAlias(node) ? node.resolve(doc) : node;
	if (isMap(target)) {
		for (const pair of target.items) {
			const key = pair.key;
			const name = isScalar(key) ? key.value : key;
			if (String(name) === String(segment)) return { key: (key as Node) ?? null, value: (pair.value as Node) ?? null };
		}
		return null;
	}
	if (isSeq(target) && typeof segment === 'number') {
		const item = target.items[segment];
		return item ? { key: null, value: item as Node } : null;
	}
	return null;
}

/** Where `path` is, or null when the document is empty. `onKey` prefers the key (for unknown keys). */
export function locate(doc: Document, lines: LineCounter, text: string, path: ReadonlyArray<PropertyKey>, onKey = false): Span | null {
	let node: Node | null = (doc.contents as Node | null) ?? null;
	let keyNode: Node | null = null;
	for (const segment of path) {
		const next = child(doc, node, segment);
		if (!next) break;
		keyNode = next.key;
		node = next.value ?? next.key;
		if (!next.value) break;
	}
	const scalarValue = node && (isScalar(node) || isAlias(node));
	const target = onKey && keyNode ? keyNode : scalarValue ? node : (keyNode ?? node);
	const range = (target as { range?: Range } | null)?.range;
	if (!range) return null;
	const start = range[0];
	let end = Math.max(range[1], start + 1);
	// A block node spans lines: underline only its first line.
	const newline = text.indexOf('\n', start);
	if (newline !== -1 && newline < end) end = Math.max(newline, start + 1);
	return span(lines, start, end);
}

export function span(lines: LineCounter, start: number, end: number): Span {
	const a = lines.linePos(start);
	const b = lines.linePos(end);
	return { line: a.line, col: a.col, endLine: b.line, endCol: b.col };
}
