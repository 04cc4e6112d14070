import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_NESTING_DEPTH, nestingProblem } from './nesting';
import { parseLayer } from './parse';

const blockMaps = (n: number) => Array.from({ length: n }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' x\n';
const jsonObjects = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

describe('nestingProblem', () => {
	it.each([
		['YAML flow sequences', (n: number) => '['.repeat(n) + ']'.repeat(n)],
		['JSON objects', jsonObjects],
		['YAML block mappings', blockMaps],
		['YAML compact sequences', (n: number) => '- '.repeat(n) + 'x\n'],
		['mixed', (n: number) => 'spec:\n  a: ' + '[{"b": '.repeat(n / 2) + '1' + '}]'.repeat(n / 2) + '\n']
	])('%s: allowed at the cap, refused past it', (_name, nest) => {
		expect(nestingProblem(nest(MAX_NESTING_DEPTH - 4))).toBeNull();
		expect(nestingProblem(nest(MAX_NESTING_DEPTH + 2))?.message).toMatch(/nests deeper than 64 levels/);
	});

	it('brackets inside quotes, comments and block scalars are text, not levels', () => {
		const text = ['a: "[[[[[[[[[["', "b: '{{{{{{{{{{'", '# [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[', 'c: |', `  ${'['.repeat(200)}`, `  ${'{'.repeat(200)}`, ''].join(
			'\n'
		);
		expect(nestingProblem(text)).toBeNull();
	});

	it('every shipped example config passes', () => {
		const dir = path.resolve('configs');
		for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.yaml'))) {
			expect(nestingProblem(fs.readFileSync(path.join(dir, f), 'utf8')), f).toBeNull();
		}
	});
});

describe('parseLayer refuses a nesting bomb with a clear problem instead of exhausting the stack', () => {
	it.each([
		['YAML', '['.repeat(200_000)],
		['JSON', jsonObjects(40_000)],
		['YAML block', '- '.repeat(90_000)]
	])('%s', (_name, text) => {
		const started = Date.now();
		const parsed = parseLayer(text);
		expect(parsed.layer).toBeNull();
		expect(parsed.doc).toBeNull();
		expect(parsed.problems).toEqual([expect.objectContaining({ message: expect.stringMatching(/nests deeper than 64 levels/), severity: 'error' })]);
		expect(Date.now() - started).toBeLessThan(2000);
	});
});
