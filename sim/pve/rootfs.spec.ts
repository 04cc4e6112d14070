import { describe, expect, it } from 'vitest';
import { controlAuthorized } from './control';
import { bootScript, ID_BASE, lowerLayers } from './rootfs';
import { snapnameError } from './snapshots';

describe('lowerLayers', () => {
	it('puts linked-clone parents (nearest first) above the template tree', () => {
		const rec = { rootfs: { template: 'local:vztmpl/debian-12-standard_12.15-1_amd64.tar.zst', parents: [105, 101] } };
		expect(lowerLayers('/s/cts/110', rec, '/t')).toEqual(['/s/cts/105/upper', '/s/cts/101/upper', '/t/rootfs/debian-12-standard_12.15-1_amd64']);
		expect(lowerLayers('/s/cts/110', { rootfs: { ...rec.rootfs, parents: [] } }, '/t')).toEqual(['/t/rootfs/debian-12-standard_12.15-1_amd64']);
	});
});

describe('bootScript', () => {
	const tree = '/t/rootfs/debian-12-standard_12.15-1_amd64';
	const script = bootScript({ ctDir: '/s/cts/100', helper: '/s/bin/h', hostname: 'ct', lowers: [tree], sshdConfig: '/s/cts/100/sshd_config', address: '127.77.1.2', port: 22 });
	it('mounts the overlay on the idmapped template tree and ends in the helper with sshd -i', () => {
		expect(script).toContain(`/s/bin/h idmap ${tree} /s/cts/100/lower ${ID_BASE} 65536`);
		expect(script).toContain('lowerdir=/s/cts/100/lower,upperdir=/s/cts/100/upper,workdir=/s/cts/100/work');
		expect(script.trim().split('\n').pop()).toBe(`exec /s/bin/h init "$R" ${ID_BASE} 65536 127.77.1.2 22 /usr/sbin/sshd -i -e -f /run/pve-sim/sshd_config`);
	});
	it('stacks parent layers above the template tree, which alone is idmapped', () => {
		const s = bootScript({ ctDir: '/s/cts/110', helper: '/h', hostname: 'ct', lowers: ['/s/cts/105/upper', tree], sshdConfig: '/c', address: '127.77.1.2', port: 22 });
		expect(s).toContain('lowerdir=/s/cts/105/upper:/s/cts/110/lower,upperdir=');
		expect(s).toContain(`/h idmap ${tree} /s/cts/110/lower`);
	});
	it('refuses paths that overlayfs options cannot carry', () => {
		expect(() => bootScript({ ctDir: '/s,x/cts/100', helper: '/h', hostname: 'ct', lowers: [tree], sshdConfig: '/c', address: '127.77.1.2', port: 22 })).toThrow(/overlay/);
		expect(() => bootScript({ ctDir: '/s/cts/100', helper: '/h', hostname: 'ct', lowers: ['/t:x'], sshdConfig: '/c', address: '127.77.1.2', port: 22 })).toThrow(/overlay/);
	});
	it('masks nothing: a CT sees only its own layers', () => {
		expect(script).not.toContain('pve-sim-hidden');
	});
});

describe('controlAuthorized', () => {
	it('wants exactly Bearer <secret>', () => {
		expect(controlAuthorized('Bearer s3cret', 's3cret')).toBe(true);
		for (const h of [undefined, '', 's3cret', 'Bearer s3cre', 'Bearer s3cret2', 'Basic s3cret']) expect(controlAuthorized(h, 's3cret')).toBe(false);
	});
});

describe('snapnameError', () => {
	it('accepts config ids up to 40 characters', () => {
		expect(snapnameError('before-task_1')).toBeNull();
		expect(snapnameError('1abc')).toBe("invalid format - invalid configuration ID '1abc'");
		expect(snapnameError('a')).toBe("invalid format - invalid configuration ID 'a'");
		expect(snapnameError(`a${'b'.repeat(40)}`)).toBe('value may only be 40 characters long');
	});
});
