import { describe, expect, it } from 'vitest';
import { storageCanLink } from './base';

describe('storageCanLink', () => {
	it('answers yes for storage types with the clone feature', () => {
		for (const type of ['lvmthin', 'zfspool', 'rbd', 'btrfs']) expect(storageCanLink(type)).toBe(true);
	});
	it('answers no for a plain directory, NFS, or a type not known', () => {
		for (const type of ['dir', 'nfs', 'lvm', undefined]) expect(storageCanLink(type)).toBe(false);
	});
});
