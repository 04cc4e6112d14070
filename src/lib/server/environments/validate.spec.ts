import { describe, expect, it } from 'vitest';
import { validateCreate, type ClusterFacts } from './validate';
import { SpyreError } from '../errors';

const facts: ClusterFacts = {
	nodes: [
		{ node: 'pve', status: 'online', maxcpu: 8, maxmem: 16 * 1024 ** 3, maxdisk: 100 * 1024 ** 3 },
		{ node: 'pve2', status: 'offline', maxcpu: 8, maxmem: 16 * 1024 ** 3, maxdisk: 100 * 1024 ** 3 }
	],
	defaultNode: 'pve',
	templates: ['local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst'],
	isHostnameTaken: (h) => h === 'taken'
};
const good = { hostname: 'dev-1', template: 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst', cores: 2, memory: 1024, disk: 8 };

function fieldsOf(input: Record<string, unknown>): Record<string, string> {
	try {
		validateCreate(input, facts);
	} catch (err) {
		expect(err).toBeInstanceOf(SpyreError);
		return (err as SpyreError).fields ?? {};
	}
	return {};
}

describe('validateCreate', () => {
	it('accepts a good request and fills the default node', () => {
		expect(validateCreate(good, facts)).toEqual({ ...good, node: 'pve' });
		expect(validateCreate({ ...good, cores: '2', memory: '1024', disk: '8' }, facts).cores).toBe(2);
	});

	it.each(['$(reboot)', 'a;b', 'a b', 'a/b', '../x', 'a?b=c', 'a#b', 'UPPER', '-lead', 'trail-', 'dot.ted', '', 'x'.repeat(64), 'a\nb', "it's"])('refuses hostname %j', (hostname) => {
		expect(fieldsOf({ ...good, hostname }).hostname).toBeTruthy();
	});

	it('refuses a duplicate hostname', () => {
		expect(fieldsOf({ ...good, hostname: 'taken' }).hostname).toMatch(/already exists/);
	});

	it.each([
		[{ cores: 0 }, 'cores'],
		[{ cores: 9 }, 'cores'],
		[{ cores: 1.5 }, 'cores'],
		[{ cores: 'two' }, 'cores'],
		[{ memory: 10 }, 'memory'],
		[{ memory: 64 * 1024 }, 'memory'],
		[{ disk: 0 }, 'disk'],
		[{ disk: 500 }, 'disk'],
		[{ memory: null }, 'memory'],
		[{ disk: [] }, 'disk']
	])('refuses sizes %j', (patch, field) => {
		expect(fieldsOf({ ...good, ...patch })[field]).toBeTruthy();
	});

	it('refuses unknown templates, nodes and offline nodes', () => {
		expect(fieldsOf({ ...good, template: 'local:vztmpl/nope.tar.zst' }).template).toMatch(/not available/);
		expect(fieldsOf({ ...good, template: 'rm -rf /' }).template).toMatch(/not a container template/);
		expect(fieldsOf({ ...good, node: 'pve9' }).node).toMatch(/not part/);
		expect(fieldsOf({ ...good, node: 'pve2' }).node).toMatch(/offline/);
	});

	it('refuses unknown fields', () => {
		expect(fieldsOf({ ...good, privileged: true })._).toMatch(/privileged/);
	});
});
