// Key completion for the config editor, from the config JSON Schema. Works on the raw text (not a parsed
// document) because the user is mid-edit and the YAML is usually invalid right where the cursor is.
// Pure: no DOM, no CodeMirror, so it is tested without a browser. Never throws on odd input.

/** A path of mapping keys; '[]' stands for "an item of this list". */
export type KeyPath = string[];

const KEY_RE = /^(?:"([^"]*)"|'([^']*)'|([^\s#:'"][^:#]*?))\s*:(?:\s|$)/;

function indentOf(line: string): number {
	return line.length - line.trimStart().length;
}

function keyOf(content: string): string | null {
	const m = KEY_RE.exec(content);
	if (!m) return null;
	return (m[1] ?? m[2] ?? m[3] ?? '').trim() || null;
}

/**
 * The mapping path that a key typed at `column` of line `lineIndex` (0-based) would belong to. For
 *   spec:\n  provision:\n    users:\n      - na|   →   ['spec', 'provision', 'users', '[]']
 */
export function keyPathAt(lines: readonly string[], lineIndex: number, column: number): KeyPath {
	const path: KeyPath = [];
	const current = (lines[lineIndex] ?? '').slice(0, column);
	let target = indentOf(current);
	// YAML lets a list sit at its parent key's own indent (`key:\n- a`), so after a dash the parent may
	// be at the same column.
	let allowEqual = false;
	const rest = current.trimStart();
	const dash = /^-(\s+|$)/.exec(rest);
	if (dash) {
		path.push('[]');
		allowEqual = true;
	}
	for (let i = lineIndex - 1; i >= 0 && target >= 0; i--) {
		const line = lines[i];
		const content = line.trimStart();
		if (content === '' || content.startsWith('#')) continue;
		if (content.startsWith('---')) break;
		const ind = indentOf(line);
		const item = /^-(\s+|$)/.exec(content);
		if (item) {
			const inner = content.slice(item[0].length);
			const innerCol = ind + item[0].length;
			// Deeper lines, and earlier items of the same list, say nothing about where the cursor is.
			if (ind >= target) continue;
			if (innerCol === target) {
				// A sibling key inside the same list item (this line is the item's first line).
				path.push('[]');
				target = ind;
				allowEqual = true;
				continue;
			}
			if (innerCol < target) {
				const k = keyOf(inner);
				if (k) {
					path.push(k, '[]');
					target = ind;
					allowEqual = true;
				}
			}
			continue;
		}
		if (ind < target || (allowEqual && ind === target)) {
			const k = keyOf(content);
			if (!k) continue;
			path.push(k);
			target = ind;
			allowEqual = false;
			if (ind === 0) break;
		}
	}
	return path.reverse();
}

/** The keys already written in the mapping that line `lineIndex` belongs to (to not offer them twice). */
export function siblingKeys(lines: readonly string[], lineIndex: number, column: number): Set<string> {
	const keys = new Set<string>();
	const current = (lines[lineIndex] ?? '').slice(0, column);
	const dash = /^-(\s+|$)/.exec(current.trimStart());
	// The column where keys of this mapping start (after a list dash, if the line has one).
	const keyCol = indentOf(current) + (dash ? dash[0].length : 0);
	const visit = (i: number): 'stop' | 'next' => {
		const content = lines[i].trimStart();
		if (content === '' || content.startsWith('#')) return 'next';
		const ind = indentOf(lines[i]);
		const item = /^-(\s+|$)/.exec(content);
		if (item && ind + item[0].length === keyCol) {
			// The first line of a list item: its key belongs to this mapping only if it is our own item.
			return 'stop';
		}
		if (ind < keyCol) return 'stop';
		if (ind === keyCol) {
			const k = keyOf(content);
			if (k) keys.add(k);
		}
		return 'next';
	};
	// Upwards: stop at the parent, or at our item's first line (whose key counts).
	if (!dash) {
		for (let i = lineIndex - 1; i >= 0; i--) {
			if (visit(i) === 'stop') {
				const content = lines[i].trimStart();
				const item = /^-(\s+|$)/.exec(content);
				if (item && indentOf(lines[i]) + item[0].length === keyCol) {
					const k = keyOf(content.slice(item[0].length));
					if (k) keys.add(k);
				}
				break;
			}
		}
	}
	for (let i = lineIndex + 1; i < lines.length; i++) if (visit(i) === 'stop') break;
	return keys;
}

/** The subset of JSON Schema that the completion reads. */
export interface SchemaNode {
	$ref?: string;
	type?: string | string[];
	description?: string;
	properties?: Record<string, SchemaNode>;
	items?: SchemaNode | SchemaNode[];
	anyOf?: SchemaNode[];
	oneOf?: SchemaNode[];
	allOf?: SchemaNode[];
	enum?: unknown[];
	const?: unknown;
	default?: unknown;
	additionalProperties?: boolean | SchemaNode;
	$defs?: Record<string, SchemaNode>;
	definitions?: Record<string, SchemaNode>;
}

function deref(root: SchemaNode, node: SchemaNode | undefined, depth = 0): SchemaNode | undefined {
	if (!node || depth > 20) return node;
	if (node.$ref?.startsWith('#/')) {
		let target: unknown = root;
		for (const part of node.$ref.slice(2).split('/')) {
			target = (target as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
		}
		return deref(root, target as SchemaNode | undefined, depth + 1);
	}
	return node;
}

/** Every alternative a node may be (anyOf/oneOf/allOf flattened, refs followed). */
function alternatives(root: SchemaNode, node: SchemaNode | undefined, depth = 0): SchemaNode[] {
	const n = deref(root, node);
	if (!n || depth > 10) return [];
	const subs = [...(n.anyOf ?? []), ...(n.oneOf ?? []), ...(n.allOf ?? [])];
	return [n, ...subs.flatMap((s) => alternatives(root, s, depth + 1))];
}

/** The schema nodes that could sit at `path`. */
export function schemaAt(root: SchemaNode, path: KeyPath): SchemaNode[] {
	let nodes = alternatives(root, root);
	for (const seg of path) {
		const next: SchemaNode[] = [];
		for (const n of nodes) {
			if (seg === '[]') {
				const items = Array.isArray(n.items) ? n.items : n.items ? [n.items] : [];
				for (const it of items) next.push(...alternatives(root, it));
			} else {
				const p = n.properties?.[seg];
				if (p) next.push(...alternatives(root, p));
				else if (typeof n.additionalProperties === 'object') next.push(...alternatives(root, n.additionalProperties));
			}
		}
		nodes = next;
		if (nodes.length === 0) break;
	}
	return nodes;
}

export interface KeySuggestion {
	key: string;
	description: string | null;
	/** Whether the value is a mapping or a list (the completion then opens a new indented line). */
	shape: 'object' | 'array' | 'scalar';
	type: string | null;
}

function shapeOf(root: SchemaNode, node: SchemaNode): KeySuggestion['shape'] {
	const types = alternatives(root, node).flatMap((n) => (Array.isArray(n.type) ? n.type : n.type ? [n.type] : n.properties ? ['object'] : []));
	if (types.length > 0 && types.every((t) => t === 'object')) return 'object';
	if (types.length > 0 && types.every((t) => t === 'array')) return 'array';
	return 'scalar';
}

/** The keys allowed at `path`, with their descriptions, in schema order. */
export function keySuggestions(root: SchemaNode, path: KeyPath): KeySuggestion[] {
	const seen = new Map<string, KeySuggestion>();
	for (const n of schemaAt(root, path)) {
		for (const [key, prop] of Object.entries(n.properties ?? {})) {
			if (seen.has(key)) continue;
			const alts = alternatives(root, prop);
			const description = alts.find((a) => a.description)?.description ?? null;
			const types = [...new Set(alts.flatMap((a) => (Array.isArray(a.type) ? a.type : a.type ? [a.type] : [])))];
			seen.set(key, { key, description, shape: shapeOf(root, prop), type: types.length > 0 ? types.join(' | ') : null });
		}
	}
	return [...seen.values()];
}

/** The fixed values (enum/const) allowed at `path`, as strings. */
export function valueSuggestions(root: SchemaNode, path: KeyPath): string[] {
	const out = new Set<string>();
	for (const n of schemaAt(root, path)) {
		for (const v of n.enum ?? []) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.add(String(v));
		if (typeof n.const === 'string' || typeof n.const === 'number' || typeof n.const === 'boolean') out.add(String(n.const));
		const types = Array.isArray(n.type) ? n.type : n.type ? [n.type] : [];
		if (types.includes('boolean')) {
			out.add('true');
			out.add('false');
		}
	}
	return [...out];
}
