import { describe, expect, it } from 'vitest';
import { placeClones } from './placement';

const GiB = 1024;

describe('placeClones', () => {
	it('keeps every clone on the source node when the storage is local', () => {
		const p = placeClones({
			count: 3,
			memoryMb: 512,
			sourceNode: 'pve',
			storage: 'local-lvm',
			shared: false,
			nodes: [
				{ node: 'pve', online: true, freeMb: 1 },
				{ node: 'pve2', online: true, freeMb: 64 * GiB }
			]
		});
		expect(p.nodes).toEqual(['pve', 'pve', 'pve']);
		expect(p.why).toContain('local-lvm is local');
	});

	it.each([
		{ name: 'by free memory, re-ranked after each clone', free: { pve: 4 * GiB, pve2: 3 * GiB, pve3: 1 * GiB }, count: 4, want: ['pve', 'pve', 'pve2', 'pve'] },
		{ name: 'ties go to the source node', free: { pve: 2 * GiB, pve2: 2 * GiB }, count: 2, want: ['pve', 'pve2'] },
		{ name: 'an offline node gets none', free: { pve: 1 * GiB, pve2: 8 * GiB }, offline: 'pve2', count: 2, want: ['pve', 'pve'] }
	])('shared storage: $name', ({ free, count, want, offline }) => {
		const nodes = Object.entries(free).map(([node, freeMb]) => ({ node, freeMb, online: node !== offline }));
		expect(placeClones({ count, memoryMb: 1024, sourceNode: 'pve', storage: 'ceph', shared: true, nodes }).nodes).toEqual(want);
	});
});
