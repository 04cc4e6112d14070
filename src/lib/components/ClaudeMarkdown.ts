// A small Markdown reader for Claude's answers: fenced code, headings, lists, quotes, paragraphs, and
// inline code, bold, italics and http(s) links. It produces plain data that ClaudeMarkdown.svelte renders
// with text nodes only, so no text from a model or a tool can ever become HTML.

export type Inline = { t: 'text'; v: string } | { t: 'code'; v: string } | { t: 'strong'; v: Inline[] } | { t: 'em'; v: Inline[] } | { t: 'link'; href: string; v: Inline[] };

export type Block = { t: 'p'; v: Inline[] } | { t: 'h'; level: number; v: Inline[] } | { t: 'code'; lang: string; v: string } | { t: 'ul' | 'ol'; items: Inline[][] } | { t: 'quote'; v: Inline[] };

const INLINE = /(`+)([\s\S]*?)\1|\*\*([\s\S]+?)\*\*|__([\s\S]+?)__|\*([^*\s][^*]*?)\*|_([^_\s][^_]*?)_|\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/;

export function parseInline(text: string, depth = 0): Inline[] {
	const out: Inline[] = [];
	let rest = text;
	while (rest) {
		const m = depth > 4 ? null : INLINE.exec(rest);
		if (!m) {
			out.push({ t: 'text', v: rest });
			break;
		}
		if (m.index > 0) out.push({ t: 'text', v: rest.slice(0, m.index) });
		if (m[1]) out.push({ t: 'code', v: m[2] });
		else if (m[3] ?? m[4]) out.push({ t: 'strong', v: parseInline((m[3] ?? m[4])!, depth + 1) });
		else if (m[5] ?? m[6]) out.push({ t: 'em', v: parseInline((m[5] ?? m[6])!, depth + 1) });
		else out.push({ t: 'link', href: m[8], v: parseInline(m[7], depth + 1) });
		rest = rest.slice(m.index + m[0].length);
	}
	return out;
}

export function parseMarkdown(src: string): Block[] {
	const lines = src.replace(/\r\n?/g, '\n').split('\n');
	const blocks: Block[] = [];
	let para: string[] = [];
	const flush = () => {
		if (para.length) blocks.push({ t: 'p', v: parseInline(para.join('\n')) });
		para = [];
	};
	for (let i = 0; i < lines.length; i++) {
		const line = lines[i];
		const fence = /^\s*(```|~~~)\s*([\w+-]*)/.exec(line);
		if (fence) {
			flush();
			const body: string[] = [];
			for (i++; i < lines.length && !lines[i].trim().startsWith(fence[1]); i++) body.push(lines[i]);
			blocks.push({ t: 'code', lang: fence[2], v: body.join('\n') });
			continue;
		}
		const h = /^(#{1,6})\s+(.*)$/.exec(line);
		if (h) {
			flush();
			blocks.push({ t: 'h', level: h[1].length, v: parseInline(h[2]) });
			continue;
		}
		const list = /^\s*([-*+]|\d+[.)])\s+/.exec(line);
		if (list) {
			flush();
			const ordered = /\d/.test(list[1]);
			const items: Inline[][] = [];
			for (; i < lines.length; i++) {
				const m = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(lines[i]);
				if (!m || /\d/.test(m[1]) !== ordered) break;
				items.push(parseInline(m[2]));
			}
			i--;
			blocks.push({ t: ordered ? 'ol' : 'ul', items });
			continue;
		}
		if (/^\s*>/.test(line)) {
			flush();
			blocks.push({ t: 'quote', v: parseInline(line.replace(/^\s*>\s?/, '')) });
			continue;
		}
		if (line.trim() === '') flush();
		else para.push(line);
	}
	flush();
	return blocks;
}
