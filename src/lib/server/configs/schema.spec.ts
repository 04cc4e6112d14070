import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, knownKeysAt } from './schema';

const FILE = path.resolve('docs/config.schema.json');
const serialized = () => `${JSON.stringify(configJsonSchema(), null, '\t')}\n`;

describe('JSON Schema', () => {
	it('docs/config.schema.json is up to date (regenerate: UPDATE_SCHEMA=1 npx vitest run src/lib/server/configs/schema.spec.ts)', () => {
		if (process.env.UPDATE_SCHEMA === '1') fs.writeFileSync(FILE, serialized());
		expect(fs.readFileSync(FILE, 'utf8'), 'docs/config.schema.json is stale').toBe(serialized());
	});

	it('is strict and carries the value rules the editor can use', () => {
		const schema = configJsonSchema() as {
			required: string[];
			additionalProperties: boolean;
			properties: { spec: { properties: { provision: { properties: { packages: { items: { pattern: string } } } } } } };
		};
		expect(schema.required).toEqual(['apiVersion', 'kind']);
		expect(schema.additionalProperties).toBe(false);
		expect(schema.properties.spec.properties.provision.properties.packages.items.pattern).toMatch(/^\^\[A-Za-z0-9\]/);
	});
});

describe('knownKeysAt', () => {
	it('walks objects, lists and optional wrappers', () => {
		expect(knownKeysAt([])).toEqual(['apiVersion', 'kind', 'metadata', 'extends', 'spec']);
		expect(knownKeysAt(['spec', 'platform', 'network'])).toEqual(['bridge', 'ip', 'gw']);
		expect(knownKeysAt(['spec', 'provision', 'files', 3])).toEqual(['path', 'content', 'source', 'mode', 'owner']);
		expect(knownKeysAt(['spec', 'provision', 'packages'])).toEqual([]);
		expect(knownKeysAt(['nope', 'deeper'])).toEqual([]);
	});
});
