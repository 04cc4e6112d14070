import { describe, expect, it } from 'vitest';
import { parseQuery, queryString } from '$lib/shared/environment-query';
import type { EnvironmentView, GuestView, InventoryView } from '$lib/shared/types/environments';
import { environmentView } from '$lib/shared/types/environments.fixture';
import { listPage } from './listing';

function env(i: number, over: Partial<EnvironmentView> = {}): EnvironmentView {
	return environmentView(`env-${i}`, {
		hostname: `box-${i}`,
		node: ['pve', 'pve2'][i % 2],
		vmid: 100 + i,
		status: i % 3 === 0 ? 'running' : 'stopped',
		ip: `127.77.0.${i}`,
		cores: 1,
		memoryMb: 512,
		diskGb: 4,
		createdAt: i,
		updatedAt: i,
		...over
	});
}

function guest(vmid: number, over: Partial<GuestView> = {}): GuestView {
	return { type: 'lxc', vmid, node: 'pve', name: `other-${vmid}`, status: 'stopped', maxcpu: 1, maxmem: 1, maxdisk: 1, uptime: 0, lock: null, template: false, ...over };
}

function inventory(n: number, guests = 0): InventoryView {
	return {
		environments: Array.from({ length: n }, (_, i) => env(i)),
		unmanaged: Array.from({ length: guests }, (_, i) => guest(5000 + i)),
		vms: [],
		nodes: [],
		proxmoxError: null,
		fetchedAt: 0
	};
}

const q = (s: string) => parseQuery(new URLSearchParams(s));

describe('parseQuery / queryString', () => {
	it.each([
		['', { q: '', status: null, node: null, view: null, page: 1 }],
		['q=%20box%20&status=running&node=pve2&view=table&page=3', { q: 'box', status: 'running', node: 'pve2', view: 'table', page: 3 }],
		['status=bogus&view=grid&page=-2', { q: '', status: null, node: null, view: null, page: 1 }],
		['page=1.5', { q: '', status: null, node: null, view: null, page: 1 }]
	])('%s', (input, expected) => expect(q(input)).toEqual(expected));

	it('round-trips and drops defaults', () => {
		expect(queryString(q('q=a b&page=2'), { page: 1 })).toBe('?q=a+b');
		expect(q(queryString(q('q=x&status=busy&node=n&view=cards&page=4')).slice(1))).toEqual(q('q=x&status=busy&node=n&view=cards&page=4'));
	});
});

describe('listPage', () => {
	it('pages a large list as a table and counts over everything', () => {
		const page = listPage(inventory(1000), q(''));
		expect(page.view).toBe('table');
		expect(page.environments).toHaveLength(50);
		expect(page.pages).toBe(20);
		expect(page.totals).toEqual({ all: 1000, running: 334 });
		expect(listPage(inventory(1000), q('page=20')).environments.at(-1)?.hostname).toBe('box-999');
		expect(listPage(inventory(1000), q('page=99')).page).toBe(20);
	});

	it('shows cards for a few environments unless asked', () => {
		expect(listPage(inventory(5), q('')).view).toBe('cards');
		expect(listPage(inventory(5), q('view=table')).view).toBe('table');
		expect(listPage(inventory(100), q('view=cards')).environments).toHaveLength(24);
	});

	it('searches name, CT id and IP; filters status and node', () => {
		expect(listPage(inventory(1000), q('q=BOX-777')).environments.map((e) => e.id)).toEqual(['env-777']);
		expect(listPage(inventory(1000), q('q=877')).environments.map((e) => e.id)).toEqual(['env-777', 'env-877']);
		expect(listPage(inventory(300), q('q=127.77.0.42')).environments.map((e) => e.id)).toEqual(['env-42']);
		const running = listPage(inventory(30), q('status=running&node=pve'));
		expect(running.environments.every((e) => e.status === 'running' && e.node === 'pve')).toBe(true);
		expect(running.matched).toBe(5);
	});

	it('caps unmanaged CTs and searches them too', () => {
		const page = listPage(inventory(0, 300), q(''));
		expect(page.unmanaged).toHaveLength(50);
		expect(page.unmanagedMatched).toBe(300);
		expect(listPage(inventory(0, 300), q('q=other-5299')).unmanaged.map((g) => g.vmid)).toEqual([5299]);
	});
});
