import { describe, expect, it } from 'vitest';
import { environmentAddressProblem, intToIpv4, ipv4ToInt, isIpv4, isIpv4Cidr, parseCidr, formatNetwork, inNetwork, reservedAddressProblem } from './ipv4';

describe('isIpv4', () => {
	it.each(['0.0.0.0', '10.0.0.1', '255.255.255.255', '192.168.100.20', '1.2.3.4'])('accepts %s', (v) => {
		expect(isIpv4(v)).toBe(true);
	});
	it.each(['010.0.0.1', '10.00.0.1', '10.0.0.01', '256.0.0.1', '1.2.3', '1.2.3.4.5', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.4/24', '1..2.3', '', '0x1.2.3.4', '１.2.3.4', '1.2.3.4\n', null, 16909060])(
		'refuses %j',
		(v) => {
			expect(isIpv4(v)).toBe(false);
		}
	);
});

describe('cidr', () => {
	it('parses a network and clears host bits', () => {
		const net = parseCidr('10.213.5.7/16')!;
		expect(formatNetwork(net)).toBe('10.213.0.0/16');
		expect(net.address).toBe('10.213.5.7');
		expect(parseCidr('0.0.0.0/0')!.base).toBe(0);
	});
	it.each(['10.0.0.0', '10.0.0.0/33', '10.0.0.0/024', '010.0.0.0/8', '10.0.0.0/', '10.0.0.0/8/8'])('refuses %s', (v) => {
		expect(isIpv4Cidr(v)).toBe(false);
		expect(parseCidr(v)).toBeNull();
	});
	it('round-trips integers', () => {
		expect(intToIpv4(ipv4ToInt('255.255.255.255'))).toBe('255.255.255.255');
		expect(ipv4ToInt('10.0.0.255')).toBe(0x0a0000ff);
		expect(() => ipv4ToInt('10.0.0.256')).toThrow();
		expect(() => ipv4ToInt('010.0.0.1')).toThrow();
	});
	it('inNetwork', () => {
		const net = parseCidr('10.213.0.0/16')!;
		expect(inNetwork('10.213.255.1', net)).toBe(true);
		expect(inNetwork('10.214.0.1', net)).toBe(false);
	});
});

describe('environmentAddressProblem (the one predicate)', () => {
	const net = parseCidr('10.213.0.0/16')!;
	it('accepts a host address inside the network', () => {
		expect(environmentAddressProblem('10.213.0.2', net)).toBeNull();
		expect(environmentAddressProblem('10.213.200.7', net)).toBeNull();
	});
	it.each([
		['127.0.0.1', /loopback/],
		['127.77.0.5', /loopback/],
		['169.254.1.1', /link-local/],
		['224.0.0.1', /multicast/],
		['255.255.255.255', /broadcast|reserved/],
		['0.0.0.0', /0\.0\.0\.0\/8/],
		['10.214.0.1', /outside the configured network 10\.213\.0\.0\/16/],
		['192.168.1.1', /outside/],
		['10.213.0.0', /network address/],
		['10.213.255.255', /broadcast address/],
		['010.213.0.2', /not an IPv4/],
		['10.213.0.2/16', /not an IPv4/],
		[undefined, /not an IPv4/]
	])('refuses %s', (ip, why) => {
		expect(environmentAddressProblem(ip, net)).toMatch(why);
	});
	it('refuses loopback even when the configured network is loopback', () => {
		expect(environmentAddressProblem('127.0.0.5', parseCidr('127.0.0.0/8')!)).toMatch(/loopback/);
	});
	it('a /32 or /31 has no network or broadcast address to refuse', () => {
		expect(environmentAddressProblem('10.0.0.7', parseCidr('10.0.0.7/32')!)).toBeNull();
		expect(environmentAddressProblem('10.0.0.6', parseCidr('10.0.0.6/31')!)).toBeNull();
	});
	it('reservedAddressProblem is null for private and public unicast', () => {
		for (const ip of ['10.0.0.1', '172.16.0.1', '192.168.0.1', '8.8.8.8']) expect(reservedAddressProblem(ip)).toBeNull();
	});
});
