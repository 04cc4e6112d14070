import { describe, expect, it } from 'vitest';
import { controlAuthorized } from './control';
import { BASE_IS_HOST_ROOT, bootScript, DEFAULT_HIDDEN, hiddenDirs, ID_BASE, lowerLayers } from './rootfs';
import { snapnameError } from './snapshots';

describe('hiddenDirs', () => {
	it('hides the defaults, the state dir and extra dirs, but not what is already private', () => {
		const dirs = hiddenDirs('/srv/sim-state', ['/opt/data/', '/tmp/x', '/root/y', '/home/z']);
		for (const d of DEFAULT_HIDDEN) expect(dirs).toContain(d);
		expect(dirs).toContain('/srv/sim-state');
		expect(dirs).toContain('/opt/data');
		expect(dirs.some((d) => d.startsWith('/tmp') || d.startsWith('/root') || d.startsWith('/home'))).toBe(false);
	});
});

describe('bootScript', () => {
	const script = bootScript({ ctDir: "/s/cts/100", helper: '/s/bin/h', hostname: 'ct', hidden: ["/data/it's"], sshdConfig: '/s/cts/100/sshd_config', address: '127.77.1.2', port: 22 });
	it('mounts the overlay on an idmapped lower layer and ends in the helper with sshd -i', () => {
		expect(script).toContain(`/s/bin/h idmap / /s/cts/100/lower ${ID_BASE} 65536`);
		expect(script).toContain("lowerdir=/s/cts/100/lower,upperdir=/s/cts/100/upper,workdir=/s/cts/100/work");
		expect(script.trim().split('\n').pop()).toBe(`exec /s/bin/h init "$R" ${ID_BASE} 65536 127.77.1.2 22 /usr/sbin/sshd -i -e -f /run/pve-sim/sshd_config`);
	});
	it('refuses a state dir that overlayfs options cannot carry', () => {
		expect(() => bootScript({ ctDir: '/s,x/cts/100', helper: '/h', hostname: 'ct', hidden: [], sshdConfig: '/c', address: '127.77.1.2', port: 22 })).toThrow(/overlay/);
	});
	it('stacks the linked-clone bases (nearest first) over the base layer, unless the base is the host root', () => {
		const lowers = lowerLayers('/s/cts/102/lower', ['/s/cts/101', '/s/cts/100']);
		expect(lowers).toEqual(BASE_IS_HOST_ROOT ? ['/s/cts/102/lower'] : ['/s/cts/101/upper', '/s/cts/100/upper', '/s/cts/102/lower']);
		const withParents = bootScript({ ctDir: '/s/cts/102', helper: '/h', hostname: 'ct', hidden: [], sshdConfig: '/c', address: '127.77.1.2', port: 22, parentCtDirs: ['/s/cts/101'] });
		expect(withParents).toContain(`lowerdir=${lowerLayers('/s/cts/102/lower', ['/s/cts/101']).join(':')},upperdir=/s/cts/102/upper`);
		expect(() => bootScript({ ctDir: '/s/cts/102', helper: '/h', hostname: 'ct', hidden: [], sshdConfig: '/c', address: '127.77.1.2', port: 22, parentCtDirs: ['/s:x/cts/101'] })).toThrow(/overlay/);
	});
	it('quotes hidden paths', () => {
		expect(script).toContain(`mnt '/data/it'\\''s' -t tmpfs -o ro,`);
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
