import { describe, expect, it } from 'vitest';
import { caught, useFakePve } from './client.testkit';
import { checkClusterResources, clusterResourcesSchema } from './cluster-resources';
import { clusterFixture, referenceCheck } from './cluster-resources.testkit';
import { ok } from './fake-pve.testkit';

// The hand-written /cluster/resources check is held to the zod statement of the same rules (the schema the
// client used before): same guests out of a good answer, problems at the same paths in a bad one.

function handCheck(data: unknown) {
	const paths: string[] = [];
	const guests = checkClusterResources(data, (path) => paths.push(path.join('.')));
	return paths.length > 0 ? { guests: null, paths } : { guests, paths: null };
}

const good = { id: 'lxc/101', type: 'lxc', vmid: 101, node: 'pve', status: 'running' };

describe('checkClusterResources', () => {
	it('gives what the zod schema gives for a 1,000-entry answer, non-guests dropped, unknown fields too', () => {
		const data = clusterFixture(1000);
		const ours = handCheck(data);
		expect(ours).toStrictEqual(referenceCheck(data));
		expect(ours.guests).toHaveLength(data.filter((e) => ['lxc', 'qemu'].includes((e as { type: string }).type)).length);
		expect(ours.guests![0]).not.toHaveProperty('netin');
	});

	it.each<[string, Record<string, unknown>]>([
		['only the required fields', {}],
		['numbers as strings, with spaces', { vmid: ' 101 ', cpu: ' 0.5 ', maxmem: '1e9', uptime: '-3' }],
		['null metrics, tags, name and lock', { cpu: null, mem: null, tags: null, name: null, lock: null }],
		['an empty name and a numeric one', { name: '' }],
		['a numeric name', { name: 105 }],
		['tags as a list, with blanks', { tags: [' a ', '', 'b'] }],
		['tags with , ; and spaces', { tags: 'a,b; c  d' }],
		['flags as booleans and strings', { template: true }],
		['template "0"', { template: '0' }],
		['an odd status', { status: 'paused' }],
		['a qemu guest', { type: 'qemu', id: 'qemu/100' }],
		['a storage entry (dropped)', { type: 'storage', status: 'available' }]
	])('accepts %s exactly as zod does', (_name, patch) => {
		const data = [{ ...good, ...patch }];
		const ours = handCheck(data);
		expect(ours.paths).toBeNull();
		expect(ours).toStrictEqual(referenceCheck(data));
	});

	it.each<[string, unknown, string]>([
		['vmid 0', [{ ...good, vmid: 0 }], '0.vmid'],
		['a fractional vmid', [{ ...good, vmid: 101.5 }], '0.vmid'],
		['a vmid that is not a number', [{ ...good, vmid: '10a' }], '0.vmid'],
		['no vmid', [{ ...good, vmid: undefined }], '0.vmid'],
		['an empty node', [{ ...good, node: '' }], '0.node'],
		['a numeric id', [{ ...good, id: 5 }], '0.id'],
		['no type', [{ ...good, type: undefined }], '0.type'],
		['a numeric status', [{ ...good, status: 3 }], '0.status'],
		['a metric as words', [{ ...good, cpu: 'fast' }], '0.cpu'],
		['a metric as a boolean', [{ ...good, mem: true }], '0.mem'],
		['template 2', [{ ...good, template: 2 }], '0.template'],
		['template "yes"', [{ ...good, template: 'yes' }], '0.template'],
		['tags with a number', [{ ...good, tags: ['a', 1] }], '0.tags'],
		['tags as an object', [{ ...good, tags: { a: 1 } }], '0.tags'],
		['a boolean name', [{ ...good, name: true }], '0.name'],
		['an object lock', [{ ...good, lock: {} }], '0.lock'],
		['a null entry', [good, null], '1'],
		['a list entry', [[good]], '0'],
		['an object instead of a list', { 0: good }, ''],
		['nothing', null, '']
	])('refuses %s at the same path as zod', (_name, data, path) => {
		const ours = handCheck(data);
		expect(ours.paths).toEqual([path]);
		expect(referenceCheck(data).paths).toContain(path);
	});

	it('lists every problem, in field order', () => {
		const ours = handCheck([
			{ ...good, vmid: 'x', node: '' },
			{ ...good, cpu: 'y' }
		]);
		expect(ours.paths).toEqual(['0.vmid', '0.node', '1.cpu']);
	});
});

describe('clusterResourcesSchema through the client', () => {
	const h = useFakePve();

	it('reports a wrongly typed field as an unexpected answer, with its path', async () => {
		h.pve.handle = () => ok([good, { ...good, vmid: 'abc' }]);
		const err = await caught(h.client.clusterResources());
		expect(err.kind).toBe('server');
		expect(err.message).toBe('Proxmox sent an unexpected response to GET /cluster/resources: [1].vmid: expected a numeric vmid');
	});

	it('runs as a schema on its own', () => {
		expect(clusterResourcesSchema.safeParse([good]).data).toEqual([expect.objectContaining({ vmid: 101, cpu: 0, tags: [] })]);
		expect(clusterResourcesSchema.safeParse('x').success).toBe(false);
	});
});
