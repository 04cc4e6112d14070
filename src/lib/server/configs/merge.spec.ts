import { describe, expect, it } from 'vitest';
import { deepMerge, mergeChain } from './merge';

describe('deepMerge', () => {
	it('merges mappings key by key, recursively', () => {
		const base = { spec: { platform: { cores: 2, memory: 1024, network: { bridge: 'vmbr0', ip: 'dhcp' } } } };
		const child = { spec: { platform: { memory: 4096, network: { ip: '10.0.0.5/24' } } } };
		expect(deepMerge(base, child)).toEqual({
			spec: { platform: { cores: 2, memory: 4096, network: { bridge: 'vmbr0', ip: '10.0.0.5/24' } } }
		});
	});

	it('concatenates provision.packages, base first, without duplicates', () => {
		const merged = deepMerge({ spec: { provision: { packages: ['git', 'curl'] } } }, { spec: { provision: { packages: ['curl', 'nginx', 'git', 'nodejs'] } } });
		expect(merged).toEqual({ spec: { provision: { packages: ['git', 'curl', 'nginx', 'nodejs'] } } });
	});

	it('replaces every other list, including files, users, scripts, services and tags', () => {
		const base = {
			spec: {
				platform: { tags: ['a', 'b'] },
				provision: { files: [{ path: '/a' }], users: [{ name: 'dev' }], scripts: [{ name: 'one', run: 'true' }] },
				services: [{ name: 'web', port: 80 }]
			}
		};
		const child = {
			spec: {
				platform: { tags: ['c'] },
				provision: { files: [{ path: '/b' }], users: [], scripts: [{ name: 'two', run: 'false' }] },
				services: [{ name: 'api', port: 8080 }]
			}
		};
		expect(deepMerge(base, child)).toEqual(child);
	});

	it('replaces scalars, and a mapping by a scalar or the reverse', () => {
		expect(deepMerge({ a: 1, b: { c: 1 } }, { a: 2, b: 3 })).toEqual({ a: 2, b: 3 });
		expect(deepMerge({ a: 1 }, { a: { b: 1 } })).toEqual({ a: { b: 1 } });
	});

	it('merges records such as helper_script.vars and keeps a base value the child does not set', () => {
		const merged = deepMerge({ spec: { helper_script: { url: 'https://x/s.sh', vars: { var_a: '1', var_b: '2' } } } }, { spec: { helper_script: { vars: { var_b: '3' } } } });
		expect(merged).toEqual({ spec: { helper_script: { url: 'https://x/s.sh', vars: { var_a: '1', var_b: '3' } } } });
	});

	it('never mutates its inputs', () => {
		const base = { spec: { provision: { packages: ['git'] }, platform: { cores: 1 } } };
		const child = { spec: { provision: { packages: ['curl'] }, platform: { cores: 2 } } };
		const before = structuredClone([base, child]);
		const merged = deepMerge(base, child);
		(merged.spec as { platform: { cores: number } }).platform.cores = 99;
		expect([base, child]).toEqual(before);
	});
});

describe('mergeChain', () => {
	it('applies layers base-first, so the last one wins', () => {
		const merged = mergeChain([
			{ spec: { platform: { cores: 1, memory: 512 }, provision: { packages: ['a'] } } },
			{ spec: { platform: { cores: 2 }, provision: { packages: ['b'] } } },
			{ spec: { platform: { cores: 3 }, provision: { packages: ['a', 'c'] } } }
		]);
		expect(merged).toEqual({ spec: { platform: { cores: 3, memory: 512 }, provision: { packages: ['a', 'b', 'c'] } } });
	});
});
