import { describe, expect, it } from 'vitest';
import type { ClusterResource } from '$lib/shared/types/proxmox';
import type { EnvironmentRow } from './repo';
import { environmentRow } from './row.fixture';
import { rowView, toView } from './view';

const row: EnvironmentRow = environmentRow('env-a', {
	hostname: 'a',
	vmid: 101,
	template: 'local:vztmpl/debian.tar.zst',
	ip: '127.77.0.2',
	host_key_fingerprint: 'SHA256:x',
	updated_at: 2
});

const live = {
	type: 'lxc',
	vmid: 101,
	node: 'pve2',
	status: 'running',
	maxcpu: 2,
	maxmem: 1024 * 1024 * 1024,
	maxdisk: 8 * 1024 ** 3,
	cpu: 0.5,
	mem: 1000,
	uptime: 60,
	template: false
} as ClusterResource;

describe('toView', () => {
	it('without live state trusts the row (live pushes), and rowView is the same mapping', () => {
		expect(toView(row)).toMatchObject({ status: 'stopped', liveStatus: null, node: 'pve', cores: 1, memoryMb: 512, cpu: null, hostKeyPinned: true });
		expect(rowView(row)).toEqual(toView(row));
	});

	it('merges live state: Proxmox wins on status, node and sizes', () => {
		expect(toView(row, live, true)).toMatchObject({ status: 'running', liveStatus: 'running', node: 'pve2', cores: 2, memoryMb: 1024, diskGb: 8, cpu: 0.5, uptime: 60 });
	});

	it.each([
		['a CT absent from a cluster that answered is missing', row, undefined, true, 'missing'],
		['a cluster that did not answer leaves the state unknown', row, undefined, false, 'unknown'],
		['a busy row keeps its own status', { ...row, status: 'starting' as const }, live, true, 'starting'],
		['an error keeps its status even when the CT runs', { ...row, status: 'error' as const }, live, true, 'error'],
		['a row without a CT is not missing', { ...row, vmid: null }, undefined, true, 'stopped']
	])('%s', (_name, r, l, known, status) => {
		expect(toView(r, l, known).status).toBe(status);
	});
});
