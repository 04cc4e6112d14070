import { describe, expect, it } from 'vitest';
import { keyPathAt, keySuggestions, siblingKeys, valueSuggestions, type SchemaNode } from './yaml-keys';

/** Split a document with a `|` marking the cursor into lines, line index and column. */
function at(doc: string): [string[], number, number] {
	const lines = doc.split('\n');
	const i = lines.findIndex((l) => l.includes('|'));
	const col = lines[i].indexOf('|');
	lines[i] = lines[i].replace('|', '');
	return [lines, i, col];
}

describe('keyPathAt', () => {
	const cases: Array<[string, string, string[]]> = [
		['top level', 'apiVersion: spyre/v1\nki|', []],
		['nested mapping', 'spec:\n  platform:\n    co|', ['spec', 'platform']],
		['after a sibling with a nested block', 'spec:\n  platform:\n    network:\n      bridge: vmbr0\n    co|', ['spec', 'platform']],
		['first key of a list item', 'spec:\n  provision:\n    users:\n      - na|', ['spec', 'provision', 'users', '[]']],
		['second key of a list item', 'spec:\n  provision:\n    users:\n      - name: a\n        gr|', ['spec', 'provision', 'users', '[]']],
		['second item after a nested one', 'spec:\n  provision:\n    users:\n      - name: a\n        groups:\n          - wheel\n      - name: b\n        sh|', ['spec', 'provision', 'users', '[]']],
		['list at the key indent', 'spec:\n  provision:\n    scripts:\n    - name: x\n      ru|', ['spec', 'provision', 'scripts', '[]']],
		['list at the key indent, new item', 'spec:\n  provision:\n    packages:\n    - git\n    scripts:\n    - |', ['spec', 'provision', 'scripts', '[]']],
		['comments and blank lines are skipped', 'spec:\n  # platform first\n\n  platform:\n\n    # cores\n    co|', ['spec', 'platform']],
		['mapping under a list item key', 'spec:\n  provision:\n    files:\n      - owner:\n          us|', ['spec', 'provision', 'files', '[]', 'owner']],
		['quoted keys', '"spec":\n  \'platform\':\n    c|', ['spec', 'platform']]
	];
	for (const [name, doc, expected] of cases) {
		it(name, () => {
			const [lines, i, col] = at(doc);
			expect(keyPathAt(lines, i, col)).toEqual(expected);
		});
	}

	it('never throws on odd input', () => {
		expect(keyPathAt([], 0, 0)).toEqual([]);
		expect(keyPathAt(['- - -', '  :', '    - |'], 2, 6)).toBeInstanceOf(Array);
	});
});

describe('siblingKeys', () => {
	it('lists the keys already in the same mapping, not those of other mappings', () => {
		const [lines, i, col] = at('spec:\n  platform:\n    cores: 2\n    network:\n      bridge: x\n    |\n    memory: 1024\n  provision: {}');
		expect([...siblingKeys(lines, i, col)].sort()).toEqual(['cores', 'memory', 'network']);
	});
	it('stays within one list item', () => {
		const [lines, i, col] = at('users:\n  - name: a\n    shell: sh\n  - name: b\n    |\n  - name: c\n    groups: []');
		expect([...siblingKeys(lines, i, col)].sort()).toEqual(['name']);
	});
});

const schema: SchemaNode = {
	type: 'object',
	properties: {
		apiVersion: { const: 'spyre/v1' },
		kind: { type: 'string', enum: ['Environment'] },
		spec: { $ref: '#/$defs/spec' }
	},
	$defs: {
		spec: {
			type: 'object',
			properties: {
				platform: { type: 'object', description: 'Where and how big', properties: { cores: { type: 'integer', description: 'CPU cores' }, onboot: { type: 'boolean' } } },
				provision: {
					type: 'object',
					properties: {
						users: {
							type: 'array',
							items: {
								anyOf: [
									{ type: 'object', properties: { name: { type: 'string' } } },
									{ type: 'object', properties: { shell: { type: 'string' } } }
								]
							}
						}
					}
				}
			}
		}
	}
};

describe('keySuggestions', () => {
	it('follows refs, items and anyOf', () => {
		expect(keySuggestions(schema, []).map((s) => s.key)).toEqual(['apiVersion', 'kind', 'spec']);
		expect(keySuggestions(schema, ['spec'])).toEqual([
			{ key: 'platform', description: 'Where and how big', shape: 'object', type: 'object' },
			{ key: 'provision', description: null, shape: 'object', type: 'object' }
		]);
		expect(keySuggestions(schema, ['spec', 'provision', 'users', '[]']).map((s) => s.key)).toEqual(['name', 'shell']);
		expect(keySuggestions(schema, ['spec', 'provision'])[0].shape).toBe('array');
	});
	it('is empty for unknown paths', () => {
		expect(keySuggestions(schema, ['nope', 'deeper'])).toEqual([]);
	});
});

describe('valueSuggestions', () => {
	it('offers enums, consts and booleans', () => {
		expect(valueSuggestions(schema, ['kind'])).toEqual(['Environment']);
		expect(valueSuggestions(schema, ['apiVersion'])).toEqual(['spyre/v1']);
		expect(valueSuggestions(schema, ['spec', 'platform', 'onboot'])).toEqual(['true', 'false']);
		expect(valueSuggestions(schema, ['spec', 'platform', 'cores'])).toEqual([]);
	});
});
