// Where the next line of a YAML config starts when Enter is pressed: one step deeper after a key that
// opens a mapping, a list or a block scalar (`provision:`, `- name:`, `run: |`), level with the content of
// a list item that holds a mapping (`- name: dev` → `  shell:` under `name`), else level with the line.
// CodeMirror's YAML grammar left the caret at column 0 after `provision:` at the end of a document, so key
// completion offered the parent's keys. Pure; config-editor-setup.ts plugs it in as an indent service.

const UNIT = 2;

/** Strip a trailing comment (` # …` outside quotes) and trailing spaces. */
function code(line: string): string {
	let quote: string | null = null;
	for (let i = 0; i < line.length; i++) {
		const c = line[i];
		if (quote) {
			if (c === quote) quote = null;
		} else if (c === '"' || c === "'") quote = c;
		else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i).trimEnd();
	}
	return line.trimEnd();
}

/** The column the line after `line` starts at. */
export function indentAfter(line: string): number {
	const text = code(line);
	const lead = /^ */.exec(line)![0].length;
	// `- ` markers (possibly nested, `- - x`): the item's content starts after them.
	const item = /^( *)((?:- +)+|-$)/.exec(text);
	const content = item ? item[0].length + (item[2] === '-' ? 1 : 0) : lead;
	if (text.trim() === '') return lead;
	if (/^ *-$/.test(text)) return lead + UNIT;
	if (text.endsWith(':')) return content + UNIT;
	if (/:\s+[|>][-+0-9]*$/.test(text)) return content + UNIT;
	// A list item holding a mapping: its next key sits under the first one.
	if (item && /^[^\s"'{[][^:]*:(\s|$)/.test(text.slice(item[0].length))) return content;
	return lead;
}
