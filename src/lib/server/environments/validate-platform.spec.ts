import { describe, expect, it } from 'vitest';
import { SpyreError } from '../errors';
import { validatePlatform, type CreatePlatform } from './validate';

function fieldsOf(p: unknown): Record<string, string> {
	try {
		validatePlatform(p as CreatePlatform);
	} catch (err) {
		expect(err).toBeInstanceOf(SpyreError);
		expect((err as SpyreError).code).toBe('validation');
		return (err as SpyreError).fields ?? {};
	}
	return {};
}

describe('validatePlatform', () => {
	it('accepts a full, sensible platform and an empty one', () => {
		const p: CreatePlatform = {
			swap: 0,
			storage: 'local-lvm',
			bridge: 'vmbr0',
			network: { cidr: '10.0.0.5/24', gw: '10.0.0.1' },
			nameserver: '1.1.1.1',
			nesting: false,
			onboot: true,
			tags: ['dev', 'web_1']
		};
		expect(validatePlatform(p)).toBe(p);
		expect(validatePlatform({})).toEqual({});
		expect(validatePlatform({ network: 'dhcp' })).toEqual({ network: 'dhcp' });
	});

	it.each([
		['platform.swap', { swap: -1 }],
		['platform.swap', { swap: 1.5 }],
		['platform.storage', { storage: 'local;rm -rf /' }],
		['platform.storage', { storage: '' }],
		['platform.bridge', { bridge: 'vmbr0,firewall=1' }],
		['platform.network', { network: '10.0.0.5' }],
		['platform.network', { network: { cidr: '10.0.0.300/24' } }],
		['platform.network', { network: { cidr: '10.0.0.5/33' } }],
		['platform.network', { network: { cidr: '127.0.0.5/8' } }],
		['platform.network', { network: { cidr: '169.254.0.5/16' } }],
		['platform.network', { network: { cidr: '10.0.0.0/24' } }],
		['platform.network', { network: { cidr: '010.0.0.5/24' } }],
		['platform.network.gw', { network: { cidr: '10.0.0.5/24', gw: 'gateway' } }],
		['platform.nameserver', { nameserver: '1.1.1.1 8.8.8.8' }],
		['platform.nesting', { nesting: 'yes' }],
		['platform.onboot', { onboot: 1 }],
		['platform.tags', { tags: 'dev' }],
		['platform.tags', { tags: ['ok', 'semi;colon'] }],
		['platform.tags', { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }]
	])('refuses %s in %j', (field, p) => {
		expect(Object.keys(fieldsOf(p))).toEqual([field]);
	});

	it('reports every bad field at once', () => {
		expect(Object.keys(fieldsOf({ swap: -1, bridge: '$(x)', tags: ['a b'] })).sort()).toEqual(['platform.bridge', 'platform.swap', 'platform.tags']);
	});
});
