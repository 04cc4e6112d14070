import { describe, expect, it } from 'vitest';
import { parseCidr } from '$lib/shared/validation/ipv4';
import { addressRefusal, staticAddressOf } from './address';

describe('staticAddressOf (Proxmox net0, set by Spyre, not by the CT)', () => {
	it('reads ip=CIDR', () => {
		const s = staticAddressOf('name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:01,ip=10.0.0.5/24,gw=10.0.0.1,type=veth')!;
		expect(s.address).toBe('10.0.0.5');
		expect(s.network.prefix).toBe(24);
	});
	it.each([undefined, '', 'name=eth0,bridge=vmbr0,ip=dhcp', 'name=eth0,ip=manual', 'name=eth0,ip6=fd00::5/64', 'name=eth0,ip=010.0.0.5/24'])('%j is not static', (net0) => {
		expect(staticAddressOf(net0)).toBeNull();
	});
});

describe('addressRefusal', () => {
	const net = parseCidr('10.213.0.0/16')!;
	const rows = [
		{ id: 'env-a', hostname: 'alpha', ip: '10.213.0.2', status: 'running' as const },
		{ id: 'env-b', hostname: 'beta', ip: '10.213.0.3', status: 'stopped' as const },
		{ id: 'env-c', hostname: 'gamma', ip: '10.213.0.4', status: 'error' as const }
	];
	it('accepts a free address in the network, and its own', () => {
		expect(addressRefusal('10.213.0.9', net, 'env-x', rows)).toBeNull();
		expect(addressRefusal('10.213.0.2', net, 'env-a', rows)).toBeNull();
	});
	it("refuses another live environment's address (a CT pointing Spyre at its neighbour)", () => {
		expect(addressRefusal('10.213.0.2', net, 'env-x', rows)).toBe('is the address of environment alpha');
		expect(addressRefusal('10.213.0.4', net, 'env-x', rows)).toBe('is the address of environment gamma');
	});
	it("a stopped environment's old lease may be taken", () => {
		expect(addressRefusal('10.213.0.3', net, 'env-x', rows)).toBeNull();
	});
	it.each([
		['127.0.0.1', /loopback/],
		['169.254.3.4', /link-local/],
		['10.214.0.2', /outside the configured network/],
		['224.0.0.251', /multicast/]
	])('refuses %s', (ip, why) => {
		expect(addressRefusal(ip, net, 'env-x', rows)).toMatch(why);
	});
});
