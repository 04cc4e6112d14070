import { describe, expect, it } from 'vitest';
import type { ClusterResource } from '$lib/shared/types/proxmox';
import type { EnvironmentRow } from './repo';
import { environmentRow } from './row.fixture';
import { containersByVmid, sameGuests, statusChanges } from './live-status';

function row(id: string, vmid: number | null, status: EnvironmentRow['status'], node = 'pve'): EnvironmentRow {
	return environmentRow(id, { vmid, status, node });
}

function guest(vmid: number, status: ClusterResource['status'], extra: Partial<ClusterResource> = {}): ClusterResource {
	return {
		id: `lxc/${vmid}`,
		type: 'lxc',
		vmid,
		node: 'pve',
		status,
		name: `ct${vmid}`,
		maxcpu: 1,
		cpu: 0,
		maxmem: 512,
		mem: 0,
		maxdisk: 4,
		disk: 0,
		uptime: 0,
		template: false,
		tags: [],
		...extra
	} as ClusterResource;
}

const never = () => false;

describe('statusChanges', () => {
	it('finds nothing when every row already matches Proxmox', () => {
		const rows = [row('a', 100, 'running'), row('b', 101, 'stopped')];
		const live = containersByVmid([guest(100, 'running'), guest(101, 'stopped')]);
		expect(statusChanges(rows, live, never)).toEqual([]);
	});

	it('follows a CT started, stopped or moved outside Spyre', () => {
		const rows = [row('a', 100, 'stopped'), row('b', 101, 'running'), row('c', 102, 'running')];
		const live = containersByVmid([guest(100, 'running'), guest(101, 'stopped'), guest(102, 'running', { node: 'pve2' })]);
		expect(statusChanges(rows, live, never)).toEqual([
			{ id: 'a', status: 'running', node: 'pve' },
			{ id: 'b', status: 'stopped', node: 'pve' },
			{ id: 'c', status: 'running', node: 'pve2' }
		]);
	});

	it('marks a row missing when its CT is gone, and back when it returns', () => {
		expect(statusChanges([row('a', 100, 'running')], containersByVmid([]), never)).toEqual([{ id: 'a', status: 'missing', node: 'pve' }]);
		expect(statusChanges([row('a', 100, 'missing')], containersByVmid([guest(100, 'stopped')]), never)).toEqual([{ id: 'a', status: 'stopped', node: 'pve' }]);
	});

	it('keeps error rows in error but follows their node; a VM with the vmid is not the CT', () => {
		const live = containersByVmid([guest(100, 'running', { node: 'pve3' }), guest(101, 'running', { type: 'qemu' })]);
		expect(statusChanges([row('a', 100, 'error'), row('b', 101, 'error')], live, never)).toEqual([{ id: 'a', status: 'error', node: 'pve3' }]);
		expect(statusChanges([row('c', 101, 'running')], live, never)).toEqual([{ id: 'c', status: 'missing', node: 'pve' }]);
	});

	it('leaves rows without a CT, in a transitional status, or held by a job to their owner', () => {
		const rows = [row('a', null, 'stopped'), row('b', 101, 'starting'), row('c', 102, 'destroying'), row('d', 103, 'stopped')];
		const live = containersByVmid([guest(101, 'stopped'), guest(103, 'running')]);
		expect(statusChanges(rows, live, (id) => id === 'd')).toEqual([]);
		expect(statusChanges(rows, live, never)).toEqual([{ id: 'd', status: 'running', node: 'pve' }]);
	});

	it('leaves an unknown or paused live state alone', () => {
		expect(statusChanges([row('a', 100, 'running')], containersByVmid([guest(100, 'unknown')]), never)).toEqual([]);
	});
});

describe('sameGuests', () => {
	const base = [guest(100, 'running'), guest(101, 'stopped'), guest(102, 'running', { type: 'qemu' })];

	it('ignores metrics and order, which move without anything to reload', () => {
		const next = [guest(102, 'running', { type: 'qemu', cpu: 0.9 }), guest(100, 'running', { uptime: 99, mem: 7 }), guest(101, 'stopped')];
		expect(
			sameGuests(
				base,
				base.map((g) => ({ ...g }))
			)
		).toBe(true);
		expect(sameGuests(base, next)).toBe(true);
	});

	it('sees a guest added, removed, renamed, moved, locked, or changing state', () => {
		expect(sameGuests(base, [...base, guest(103, 'stopped')])).toBe(false);
		expect(sameGuests(base, base.slice(1))).toBe(false);
		const changed: Array<Partial<ClusterResource>> = [{ name: 'other' }, { node: 'pve2' }, { lock: 'backup' }, { status: 'stopped' }, { type: 'qemu' }];
		for (const change of changed) expect(sameGuests(base, [{ ...base[0], ...change }, base[1], base[2]]), JSON.stringify(change)).toBe(false);
	});

	it('sees a swap of states between two guests even with the same length and order of vmids', () => {
		const swapped = [guest(100, 'stopped'), guest(101, 'running'), base[2]];
		expect(sameGuests(base, swapped)).toBe(false);
	});

	it('treats an empty name or lock as none, as Proxmox answers differ on that', () => {
		expect(sameGuests([guest(100, 'running', { name: undefined })], [guest(100, 'running', { name: '' })])).toBe(true);
	});
});
