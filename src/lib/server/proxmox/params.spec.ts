import { describe, expect, it } from 'vitest';
import { buildFeatures, buildNet0, buildRootfs, createLxcParams, parsePropertyString, toParams } from './params';

describe('toParams', () => {
	it('encodes booleans as 0/1, drops undefined and null, percent-encodes separators', () => {
		const p = toParams({ a: true, b: false, c: undefined, d: null, e: 5, f: 'x=y&z;w\nv' });
		expect(p.toString()).toBe('a=1&b=0&e=5&f=x%3Dy%26z%3Bw%0Av');
	});
});

describe('property strings', () => {
	it.each([
		[{ bridge: 'vmbr0', ip: 'dhcp' as const }, 'name=eth0,bridge=vmbr0,ip=dhcp'],
		[{ bridge: 'vmbr1', ip: { cidr: '10.0.0.5/24', gw: '10.0.0.1' } }, 'name=eth0,bridge=vmbr1,ip=10.0.0.5/24,gw=10.0.0.1'],
		[{ bridge: 'vmbr0', ip: { cidr: '10.0.0.5/24' } }, 'name=eth0,bridge=vmbr0,ip=10.0.0.5/24']
	])('net0 %j -> %s', (net, expected) => {
		expect(buildNet0(net)).toBe(expected);
	});

	it('rootfs and features', () => {
		expect(buildRootfs({ storage: 'local-lvm', sizeGb: 8 })).toBe('local-lvm:8');
		expect(buildFeatures({ nesting: true })).toBe('nesting=1');
		expect(buildFeatures({ nesting: false })).toBe('nesting=0');
		expect(buildFeatures({})).toBeUndefined();
		expect(buildFeatures(undefined)).toBeUndefined();
	});

	it('parses what Proxmox sends back', () => {
		expect(parsePropertyString('local-lvm:vm-101-disk-0,size=8G')).toEqual({ volume: 'local-lvm:vm-101-disk-0', size: '8G' });
		expect(parsePropertyString('name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:01,ip=dhcp,type=veth')).toEqual({
			name: 'eth0',
			bridge: 'vmbr0',
			hwaddr: 'BC:24:11:00:00:01',
			ip: 'dhcp',
			type: 'veth'
		});
	});
});

describe('createLxcParams', () => {
	it('leaves optional fields out and joins keys and tags', () => {
		const p = createLxcParams({
			vmid: 200,
			ostemplate: 'local:vztmpl/t.tar.zst',
			hostname: 'h',
			cores: 1,
			memory: 512,
			rootfs: { storage: 's', sizeGb: 4 },
			net0: { bridge: 'vmbr0', ip: 'dhcp' },
			sshPublicKeys: 'ssh-ed25519 AAAA x\n',
			tags: 'one'
		});
		const form = Object.fromEntries(toParams(p));
		expect(form).toEqual({
			vmid: '200',
			ostemplate: 'local:vztmpl/t.tar.zst',
			hostname: 'h',
			cores: '1',
			memory: '512',
			rootfs: 's:4',
			net0: 'name=eth0,bridge=vmbr0,ip=dhcp',
			'ssh-public-keys': 'ssh-ed25519 AAAA x',
			tags: 'one'
		});
	});
});
