// CodeMirror 6 for the config editor: YAML, diagnostics from the server's check as you type, key and
// value completion from the config JSON Schema, and a dark theme matching Spyre's. Loaded only in the
// browser (the editor component imports this module from onMount), so SSR never touches the DOM-bound
// CodeMirror packages. Nothing here evaluates code: CSP-safe.

import { autocompletion, type Completion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { yaml, yamlLanguage } from '@codemirror/lang-yaml';
import { HighlightStyle, indentService, indentUnit, syntaxHighlighting } from '@codemirror/language';
import { linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { EditorState, type Extension } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { tags as t } from '@lezer/highlight';
import { basicSetup } from 'codemirror';
import { indentWithTab } from '@codemirror/commands';
import type { CheckResult } from './configs-api';
import { lineIndexOf, problemRange } from './problem-ranges';
import { indentAfter } from './yaml-indent';
import { keyPathAt, keySuggestions, siblingKeys, valueSuggestions, type SchemaNode } from './yaml-keys';

export interface EditorOptions {
	doc: string;
	readOnly: boolean;
	/** Runs the server check for the current text; an aborted or failed check returns null. */
	check: (text: string) => Promise<CheckResult | null>;
	schema: () => Promise<SchemaNode | null>;
	onchange: (text: string) => void;
	onchecked: (result: CheckResult, text: string) => void;
	label: string;
}

const theme = EditorView.theme(
	{
		'&': { backgroundColor: '#060b16', color: '#e2e8f0', fontSize: '0.86rem', height: '100%' },
		'.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.55' },
		'.cm-content': { caretColor: '#38bdf8' },
		'.cm-cursor, .cm-dropCursor': { borderLeftColor: '#38bdf8' },
		'&.cm-focused .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection': { backgroundColor: '#1e3a5f' },
		// Line numbers and comments at #7a889e: at least 4.5:1 on every editor background (WCAG AA).
		'.cm-gutters': { backgroundColor: '#0a101d', color: '#7a889e', border: 'none', borderRight: '1px solid #1f2b45' },
		'.cm-activeLine': { backgroundColor: '#0e1628' },
		'.cm-activeLineGutter': { backgroundColor: '#111a2e', color: '#cbd5e1' },
		'.cm-tooltip': { backgroundColor: '#111a2e', border: '1px solid #1f2b45', color: '#e2e8f0' },
		'.cm-tooltip-autocomplete > ul > li[aria-selected]': { backgroundColor: '#1e3a5f', color: '#e2e8f0' },
		'.cm-completionDetail': { color: '#94a3b8', fontStyle: 'normal', marginLeft: '0.6em' },
		'.cm-completionInfo': { maxWidth: '320px' },
		'.cm-diagnostic-error': { borderLeftColor: '#f87171' },
		'.cm-diagnostic-warning': { borderLeftColor: '#fbbf24' },
		'.cm-lintRange-error': { backgroundImage: 'none', textDecoration: 'underline wavy #f87171', textUnderlineOffset: '3px' },
		'.cm-lintRange-warning': { backgroundImage: 'none', textDecoration: 'underline wavy #fbbf24', textUnderlineOffset: '3px' },
		'.cm-panels': { backgroundColor: '#0a101d', color: '#e2e8f0' },
		'.cm-searchMatch': { backgroundColor: '#713f1266' },
		'.cm-matchingBracket': { backgroundColor: '#1e3a5f', outline: 'none' },
		'.cm-foldPlaceholder': { backgroundColor: '#1a2540', border: 'none', color: '#94a3b8' }
	},
	{ dark: true }
);

const highlight = HighlightStyle.define([
	{ tag: [t.propertyName, t.definition(t.propertyName)], color: '#7dd3fc' },
	{ tag: [t.string, t.special(t.string)], color: '#a5d6a7' },
	{ tag: [t.number, t.bool, t.null, t.atom], color: '#fbbf24' },
	{ tag: t.comment, color: '#7a889e', fontStyle: 'italic' },
	{ tag: [t.keyword, t.typeName, t.labelName], color: '#c4b5fd' },
	{ tag: [t.punctuation, t.separator, t.bracket, t.squareBracket, t.brace], color: '#94a3b8' },
	{ tag: [t.meta, t.processingInstruction], color: '#f0abfc' },
	{ tag: t.invalid, color: '#f87171' }
]);

function diagnosticsFor(result: CheckResult, text: string): Diagnostic[] {
	const doc = lineIndexOf(text);
	return result.problems.map((p) => {
		const r = problemRange(doc, p);
		return { from: r.from, to: r.to, severity: p.severity, message: p.message, source: p.path || undefined };
	});
}

function keyCompletion(key: string, shape: 'object' | 'array' | 'scalar', keyCol: number): string {
	const inner = ' '.repeat(keyCol + 2);
	if (shape === 'object') return `${key}:\n${inner}`;
	if (shape === 'array') return `${key}:\n${inner}- `;
	return `${key}: `;
}

function completionSource(schema: () => Promise<SchemaNode | null>) {
	return async (context: CompletionContext): Promise<CompletionResult | null> => {
		const line = context.state.doc.lineAt(context.pos);
		const before = line.text.slice(0, context.pos - line.from);
		const keyMatch = /^(\s*)(-\s+)?([A-Za-z0-9_.-]*)$/.exec(before);
		const valueMatch = keyMatch ? null : /^(\s*)(-\s+)?([A-Za-z0-9_.-]+):\s+([A-Za-z0-9_./-]*)$/.exec(before);
		if (!keyMatch && !valueMatch) return null;
		if (keyMatch && !keyMatch[3] && !context.explicit) return null;
		const root = await schema();
		if (!root) return null;
		const lines = context.state.doc.toJSON();
		const lineIdx = line.number - 1;
		if (keyMatch) {
			const word = keyMatch[3];
			const keyCol = before.length - word.length;
			const path = keyPathAt(lines, lineIdx, keyCol);
			const present = siblingKeys(lines, lineIdx, keyCol);
			const options: Completion[] = keySuggestions(root, path)
				.filter((s) => !present.has(s.key))
				.map((s) => ({
					label: s.key,
					type: 'property',
					detail: s.type ?? undefined,
					info: s.description ?? undefined,
					apply: keyCompletion(s.key, s.shape, keyCol)
				}));
			return options.length > 0 ? { from: context.pos - word.length, options, validFor: /^[A-Za-z0-9_.-]*$/ } : null;
		}
		const [, indent, dash, key, typed] = valueMatch!;
		const keyCol = indent.length + (dash?.length ?? 0);
		const path = [...keyPathAt(lines, lineIdx, keyCol), key];
		const options: Completion[] = valueSuggestions(root, path).map((v) => ({ label: v, type: 'constant' }));
		return options.length > 0 ? { from: context.pos - typed.length, options, validFor: /^[A-Za-z0-9_./-]*$/ } : null;
	};
}

// Enter's indentation comes from the line above the caret (yaml-indent.ts), not from the grammar, which
// left the caret at column 0 after a key that opens a mapping.
const yamlIndent = indentService.of((cx, pos) => {
	const here = cx.lineAt(pos, -1);
	const before = here.text.slice(0, pos - here.from);
	if (before !== '') return indentAfter(before);
	for (let n = cx.state.doc.lineAt(here.from).number - 1; n >= 1; n--) {
		const text = cx.state.doc.line(n).text;
		if (text.trim() !== '') return indentAfter(text);
	}
	return 0;
});

export function createEditor(parent: HTMLElement, opts: EditorOptions): EditorView {
	const extensions: Extension[] = [
		basicSetup,
		keymap.of([indentWithTab]),
		indentUnit.of('  '),
		EditorState.tabSize.of(2),
		yaml(),
		yamlIndent,
		theme,
		syntaxHighlighting(highlight),
		lintGutter(),
		linter(
			async (view) => {
				const text = view.state.doc.toString();
				const result = await opts.check(text);
				if (!result) return [];
				opts.onchecked(result, text);
				// The text may have moved on while the check ran; the linter drops stale answers itself.
				return diagnosticsFor(result, text);
			},
			{ delay: 350 }
		),
		yamlLanguage.data.of({ autocomplete: completionSource(opts.schema) }),
		autocompletion({ activateOnTyping: true, icons: false }),
		EditorView.contentAttributes.of({ 'aria-label': opts.label }),
		EditorView.updateListener.of((u) => {
			if (u.docChanged) opts.onchange(u.state.doc.toString());
		})
	];
	// A read-only editor is not contenteditable, so nothing in it takes focus; tabindex lets a keyboard
	// user reach the text and scroll it.
	if (opts.readOnly) {
		extensions.push(EditorState.readOnly.of(true), EditorView.editable.of(false), EditorView.contentAttributes.of({ tabindex: '0' }));
	}
	return new EditorView({ parent, state: EditorState.create({ doc: opts.doc, extensions }) });
}

/** Put the cursor at a 1-based line/column, scroll it into view and focus the editor. */
export function jumpTo(view: EditorView, line: number | null, col: number | null): void {
	const doc = view.state.doc;
	const l = doc.line(Math.min(Math.max(1, line ?? 1), doc.lines));
	const pos = Math.min(l.from + Math.max(0, (col ?? 1) - 1), l.to);
	view.dispatch({ selection: { anchor: pos }, effects: EditorView.scrollIntoView(pos, { y: 'center' }) });
	view.focus();
}

/** Replace the whole text (e.g. after a reload from the server) without losing the editor. */
export function replaceText(view: EditorView, text: string): void {
	view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}
