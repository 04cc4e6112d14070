// Parses one config file's text into a validated layer, collecting every problem with its position:
// the size limit, the nesting cap (before the parser recurses), YAML syntax, duplicate keys, alias bombs, then the schema. Pure and synchronous: the
// editor calls it on every keystroke. Never throws for bad input.

import { isScalar, LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import { MAX_CONFIG_BYTES, type ConfigProblem } from '$lib/shared/types/configs';
import { at, friendlyIssue, issuesToProblems } from './problems';
import { layerSchema, type ConfigLayer } from './schema';
import { span } from './locate';
import { formatBytes } from '$lib/shared/format-bytes';
import { nestingProblem } from './nesting';

/** Alias expansions allowed while building values: plenty for DRY configs, far from a billion laughs. */
const MAX_ALIAS_COUNT = 100;

export interface ParsedLayer {
	text: string;
	doc: Document | null;
	lines: LineCounter | null;
	/** The validated layer, or null when any error was found. */
	layer: ConfigLayer | null;
	/** The raw value (for merge diagnostics) when the YAML itself was readable. */
	raw: Record<string, unknown> | null;
	problems: ConfigProblem[];
}

export function sizeProblem(text: string): ConfigProblem | null {
	const bytes = Buffer.byteLength(text, 'utf8');
	if (bytes <= MAX_CONFIG_BYTES) return null;
	return {
		path: '',
		message: `the config is ${formatBytes(bytes)}; the limit is ${formatBytes(MAX_CONFIG_BYTES)}`,
		line: null,
		col: null,
		severity: 'error'
	};
}

function yamlProblem(err: YAMLError, lines: LineCounter, severity: ConfigProblem['severity']): ConfigProblem {
	const where = span(lines, err.pos[0], Math.max(err.pos[1], err.pos[0] + 1));
	const first = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
	const message = err.code === 'DUPLICATE_KEY' ? 'duplicate key: each key may appear once in a mapping' : `YAML: ${first}`;
	return { path: '', message, ...where, severity };
}

/**
 * Keys whose value is text even when YAML reads a number or boolean: `mode: 0644` (YAML 1.2 reads the
 * decimal 644; modes are always octal), a digest of digits, `var_cpu: 2`, `PORT: 3000`, `DEBUG: true`, a ref `1.0`.
 * The text the user wrote is kept, so `0644`, `644` and `'0644'` all mean rw-r--r--.
 */
const TEXT_KEYS: ReadonlyArray<ReadonlyArray<string | '*'>> = [
	['spec', 'provision', 'files', '*', 'mode'],
	['spec', 'provision', 'scripts', '*', 'env', '*'],
	['spec', 'helper_script', 'sha256'],
	['spec', 'helper_script', 'vars', '*'],
	// `ref: 1.0` is the tag 1.0, not the number 1.
	['spec', 'repos', '*', 'ref']
];

function keepSourceText(value: unknown, doc: Document, pattern: ReadonlyArray<string | '*'>, path: (string | number)[] = []): void {
	if (!value || typeof value !== 'object') return;
	const [head, ...rest] = pattern;
	const container = value as Record<string | number, unknown>;
	const keys = head === '*' ? (Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value)) : [head];
	for (const key of keys) {
		const child = container[key];
		if (rest.length > 0) {
			keepSourceText(child, doc, rest, [...path, key]);
		} else if (typeof child === 'number' || typeof child === 'boolean') {
			const node = doc.getIn([...path, key], true);
			if (isScalar(node) && typeof node.source === 'string') container[key] = node.source;
		}
	}
}

export function parseLayer(text: string): ParsedLayer {
	const refused = sizeProblem(text) ?? nestingProblem(text);
	if (refused) return { text, doc: null, lines: null, layer: null, raw: null, problems: [refused] };

	const lines = new LineCounter();
	const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
	const problems: ConfigProblem[] = [...doc.errors.map((e) => yamlProblem(e, lines, 'error')), ...doc.warnings.map((w) => yamlProblem(w, lines, 'warning'))];
	const result = (raw: Record<string, unknown> | null): ParsedLayer => ({ text, doc, lines, layer: null, raw, problems });
	// Duplicate keys leave a readable document: keep checking so the editor shows everything at once.
	if (doc.errors.some((e) => e.code !== 'DUPLICATE_KEY')) return result(null);

	let value: unknown;
	try {
		value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
	} catch (err) {
		const message =
			err instanceof ReferenceError && /alias/i.test(err.message)
				? `too many alias expansions (limit ${MAX_ALIAS_COUNT}): refused as a possible alias bomb`
				: `YAML: ${err instanceof Error ? err.message : String(err)}`;
		problems.push({ path: '', message, line: null, col: null, severity: 'error' });
		return result(null);
	}
	if (value === null || value === undefined) {
		problems.push({ path: '', message: 'the config is empty: start with apiVersion: spyre/v1 and kind: Environment', line: 1, col: 1, severity: 'error' });
		return result(null);
	}
	if (typeof value !== 'object' || Array.isArray(value)) {
		problems.push(at(doc, lines, text, [], 'the top level must be a mapping (apiVersion, kind, metadata, extends, spec)', 'error'));
		return result(null);
	}
	const raw = value as Record<string, unknown>;
	for (const pattern of TEXT_KEYS) keepSourceText(raw, doc, pattern);

	const parsed = layerSchema.safeParse(raw, { error: friendlyIssue });
	if (!parsed.success) problems.push(...issuesToProblems(parsed.error.issues, doc, lines, text));
	const ok = parsed.success && !problems.some((p) => p.severity === 'error');
	return { text, doc, lines, layer: ok ? parsed.data : null, raw, problems };
}
