import { describe, expect, it } from 'vitest';
import { bridgeName, checkRange, ctRuleset, gatewayOf, inCidr, parseCidr, parsePorts, planAddress, portsUpdate, subnetsOf, vethName } from './network';

describe('ranges and names', () => {
	it('parses networks and refuses host bits, bad prefixes and junk', () => {
		expect(parseCidr('10.213.0.0/16')).toEqual({ base: 0x0ad50000, prefix: 16 });
		expect(parseCidr('10.213.0.1/16')).toBeNull();
		expect(parseCidr('10.213.0.0/33')).toBeNull();
		expect(parseCidr('10.213.0.0')).toBeNull();
		expect(parseCidr('10.213.0.0/16; rm -rf /')).toBeNull();
	});
	it('accepts only private ranges of /8../24', () => {
		expect(checkRange('10.213.0.0/16')).toBeNull();
		expect(checkRange('192.168.77.0/24')).toBeNull();
		expect(checkRange('172.16.0.0/12')).toBeNull();
		expect(checkRange('192.0.2.0/24')).toMatch(/inside 10\.0\.0\.0\/8/);
		expect(checkRange('8.8.0.0/16')).toMatch(/--net-range/);
		expect(checkRange('10.213.0.0/25')).toMatch(/between/);
		expect(checkRange('0.0.0.0/0')).toMatch(/between/);
	});
	it('splits a range into /24s, names their bridges uniquely within 15 chars', () => {
		const subnets = subnetsOf('10.213.0.0/16');
		expect(subnets).toHaveLength(256);
		expect(subnets[17]).toBe('10.213.17.0/24');
		expect(bridgeName('10.213.17.0/24')).toBe('pvsim0ad511');
		expect(new Set(subnets.map(bridgeName)).size).toBe(256);
		expect(gatewayOf('10.213.17.0/24')).toBe('10.213.17.1');
		const v = vethName('10.213.17.0/24', 999_999_999);
		expect(v.length).toBeLessThanOrEqual(15);
		expect(vethName('10.213.17.0/24', 100)).toBe('ve0ad511-2s');
		expect(inCidr('10.213.17.9', '10.213.17.0/24')).toBe(true);
		expect(inCidr('10.213.18.9', '10.213.17.0/24')).toBe(false);
	});
});

describe('gateway ports', () => {
	it('parses lists and refuses non-ports', () => {
		expect(parsePorts('3142, 3101,3101', 'p')).toEqual([3101, 3142]);
		expect(parsePorts('', 'p')).toEqual([]);
		expect(parsePorts([22], 'p')).toEqual([22]);
		expect(() => parsePorts('0', 'p')).toThrow(/not a TCP port/);
		expect(() => parsePorts('70000', 'p')).toThrow(/not a TCP port/);
		expect(() => parsePorts(['1; flush ruleset'], 'p')).toThrow(/not a TCP port/);
		expect(() => parsePorts({}, 'p')).toThrow(/list/);
	});
	it('updates the set in one transaction', () => {
		expect(portsUpdate([3101])).toBe('flush set inet pvesim gwports\nadd element inet pvesim gwports { 3101 }\n');
		expect(portsUpdate([])).toBe('flush set inet pvesim gwports\n');
	});
});

describe('ctRuleset', () => {
	const rules = ctRuleset({ address: '10.213.17.5', cidr: '10.213.17.0/24', gateway: '10.213.17.1', ports: [3101] });
	it('lets out only loopback, replies, peers and the exposed gateway ports, and refuses the rest', () => {
		expect(rules).toContain('policy drop;');
		expect(rules).toContain('elements = { 3101 };');
		expect(rules).toContain('ip daddr 10.213.17.1 tcp dport @gwports accept');
		expect(rules).toContain('ip daddr != 10.213.17.1 ip daddr 10.213.17.0/24 accept');
		expect(rules).toContain('ip saddr != 10.213.17.5 reject');
		expect(rules).toContain('meta nfproto ipv6 reject');
		expect(rules).not.toMatch(/masquerade|snat|dnat|forward/);
	});
	it('refuses data that is not an address', () => {
		expect(() => ctRuleset({ address: '10.0.0.1; flush ruleset', cidr: '10.213.17.0/24', gateway: '10.213.17.1', ports: [] })).toThrow();
		expect(() => ctRuleset({ address: '10.213.17.5', cidr: '10.213.17.0/24 }', gateway: '10.213.17.1', ports: [] })).toThrow();
	});
});

describe('planAddress', () => {
	const cidr = '10.213.17.0/24';
	const none = () => true;
	it('gives DHCP CTs the first free address after the gateway', () => {
		expect(planAddress({ ip: 'dhcp' }, cidr, (ip) => ip !== '10.213.17.2')).toEqual({ address: '10.213.17.3', prefix: 24, dhcp: true });
		expect(planAddress(undefined, cidr, none)).toEqual({ address: '10.213.17.2', prefix: 24, dhcp: true });
		expect(planAddress({}, cidr, () => false)).toEqual({ error: expect.stringMatching(/no free address/) });
	});
	it('honours a static ip= and gw= on the bridge', () => {
		expect(planAddress({ ip: '10.213.17.50/24', gw: '10.213.17.1' }, cidr, none)).toEqual({ address: '10.213.17.50', prefix: 24, dhcp: false });
		expect(planAddress({ ip: '10.213.17.50/28' }, cidr, none)).toEqual({ address: '10.213.17.50', prefix: 28, dhcp: false });
	});
	it('refuses addresses off the bridge, the gateway, loopback and a gw elsewhere', () => {
		for (const ip of ['10.213.18.5/24', '127.0.0.2/8', '192.0.2.9/24', '10.213.17.1/24', '10.213.17.255/24', '10.213.17.9/16'])
			expect(planAddress({ ip }, cidr, none)).toEqual({ error: expect.stringMatching(/must be an address of the simulated bridge/) });
		expect(planAddress({ ip: '10.213.17.9/24', gw: '192.0.2.1' }, cidr, none)).toEqual({ error: expect.stringMatching(/gw 192\.0\.2\.1 is not on/) });
	});
});
