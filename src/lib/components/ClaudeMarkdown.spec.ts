import { describe, expect, it } from 'vitest';
import { parseInline, parseMarkdown } from './ClaudeMarkdown';

describe('ClaudeMarkdown', () => {
	it('reads blocks', () => {
		expect(parseMarkdown('# Title\n\nSome **bold** text\n\n- a\n- b\n\n```ts\nconst x = 1;\n```\n> quoted')).toEqual([
			{ t: 'h', level: 1, v: [{ t: 'text', v: 'Title' }] },
			{
				t: 'p',
				v: [
					{ t: 'text', v: 'Some ' },
					{ t: 'strong', v: [{ t: 'text', v: 'bold' }] },
					{ t: 'text', v: ' text' }
				]
			},
			{ t: 'ul', items: [[{ t: 'text', v: 'a' }], [{ t: 'text', v: 'b' }]] },
			{ t: 'code', lang: 'ts', v: 'const x = 1;' },
			{ t: 'quote', v: [{ t: 'text', v: 'quoted' }] }
		]);
	});

	it('keeps HTML as text and links only http(s)', () => {
		expect(parseInline('<img src=x onerror=alert(1)> [x](javascript:alert(1)) [ok](https://example.com)')).toEqual([
			{ t: 'text', v: '<img src=x onerror=alert(1)> [x](javascript:alert(1)) ' },
			{ t: 'link', href: 'https://example.com', v: [{ t: 'text', v: 'ok' }] }
		]);
	});

	it('reads inline code without formatting inside it', () => {
		expect(parseInline('run `a **b**` now')).toEqual([
			{ t: 'text', v: 'run ' },
			{ t: 'code', v: 'a **b**' },
			{ t: 'text', v: ' now' }
		]);
	});
});
