import { describe, expect, it } from 'vitest';
import { addNotice, autoDismissAfter, MAX_NOTICES, removeNotice, type Notice } from './notices-model';

describe('notices', () => {
	it('stacks new notices last and drops the oldest past the limit', () => {
		let list: Notice[] = [];
		for (let i = 1; i <= MAX_NOTICES + 2; i++) list = addNotice(list, { id: i, tone: 'error', message: `m${i}` });
		expect(list.map((n) => n.id)).toEqual([3, 4, 5, 6]);
	});

	it('counts a repeated message instead of showing it twice, and moves it last', () => {
		let list = addNotice([], { id: 1, tone: 'error', message: 'Proxmox is down.' });
		list = addNotice(list, { id: 2, tone: 'info', message: 'Saved.' });
		list = addNotice(list, { id: 3, tone: 'error', message: 'Proxmox is down.' });
		expect(list.map((n) => [n.id, n.count])).toEqual([
			[2, 1],
			[1, 2]
		]);
		expect(addNotice(list, { id: 4, tone: 'success', message: 'Proxmox is down.' })).toHaveLength(3);
	});

	it('removes by id', () => {
		const list = addNotice(addNotice([], { id: 1, tone: 'info', message: 'a' }), { id: 2, tone: 'info', message: 'b' });
		expect(removeNotice(list, 1).map((n) => n.id)).toEqual([2]);
	});

	it('keeps errors until dismissed, lets the rest go by themselves', () => {
		expect(autoDismissAfter('error')).toBeNull();
		expect(autoDismissAfter('success')).toBeGreaterThan(0);
		expect(autoDismissAfter('info')).toBeGreaterThan(0);
	});
});
