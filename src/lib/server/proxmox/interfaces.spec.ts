import { describe, expect, it } from 'vitest';
import type { LxcInterface } from '$lib/shared/types/proxmox';
import { interfacesToIp, reportedIpv4s } from './interfaces';

const iface = (name: string, inet?: string, addrs: [string, string][] = []): LxcInterface => ({
	name,
	inet,
	ipAddresses: addrs.map(([address, type]) => ({ address, type, prefix: 24 }))
});

describe('interfacesToIp', () => {
	it.each<[string, LxcInterface[] | null, string | null]>([
		['stopped CT (null)', null, null],
		['no interfaces', [], null],
		['only lo', [iface('lo', '127.0.0.1/8')], null],
		['eth0 with prefix stripped', [iface('lo', '127.0.0.1/8'), iface('eth0', '10.0.0.5/24')], '10.0.0.5'],
		['eth0 preferred over eth1', [iface('eth1', '192.168.1.2/24'), iface('eth0', '10.0.0.5/24')], '10.0.0.5'],
		['another interface when eth0 has no IPv4 yet', [iface('eth0'), iface('eth1', '192.168.1.2/24')], '192.168.1.2'],
		['127/8 on eth0 counts (the simulator)', [iface('lo', '127.0.0.1/8'), iface('eth0', '127.3.0.7/8')], '127.3.0.7'],
		[
			'falls back to ip-addresses',
			[
				iface('eth0', undefined, [
					['fe80::1', 'inet6'],
					['10.1.2.3', 'inet']
				])
			],
			'10.1.2.3'
		],
		['ignores IPv6-only', [iface('eth0', undefined, [['fe80::1', 'inet6']])], null]
	])('%s', (_name, ifaces, expected) => {
		expect(interfacesToIp(ifaces)).toBe(expected);
	});
});

describe('accept: the caller decides which reported address may be used', () => {
	const spoof = [iface('lo', '127.0.0.1/8'), iface('eth0', '127.0.0.1/8', [['10.0.0.5', 'inet']]), iface('eth1', '169.254.9.9/16')];
	it('lists every IPv4 outside lo, eth0 first, without duplicates or leading zeros', () => {
		expect(reportedIpv4s(spoof)).toEqual(['127.0.0.1', '10.0.0.5', '169.254.9.9']);
		expect(reportedIpv4s([iface('eth0', '010.0.0.5/24')])).toEqual([]);
	});
	it('skips what accept refuses', () => {
		const accept = (ip: string) => (ip.startsWith('10.') ? null : 'outside');
		expect(interfacesToIp(spoof, accept)).toBe('10.0.0.5');
		expect(interfacesToIp([iface('eth0', '127.0.0.1/8')], accept)).toBeNull();
	});
});
