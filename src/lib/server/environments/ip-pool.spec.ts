import { describe, expect, it } from 'vitest';
import { intToIp, ipToInt, nextFreeAddress } from './ip-pool';

describe('ip pool', () => {
	it('converts both ways', () => {
		expect(intToIp(ipToInt('10.0.0.255'))).toBe('10.0.0.255');
		expect(ipToInt('255.255.255.255')).toBe(0xffffffff);
		expect(() => ipToInt('10.0.0')).toThrow();
		expect(() => ipToInt('10.0.0.256')).toThrow();
	});
	it('hands out the first free address and reports exhaustion', () => {
		expect(nextFreeAddress('10.0.0.10', '10.0.0.12', [])).toBe('10.0.0.10');
		expect(nextFreeAddress('10.0.0.10', '10.0.0.12', ['10.0.0.10', '10.0.0.11/24', null, 'junk'])).toBe('10.0.0.12');
		expect(nextFreeAddress('10.0.0.10', '10.0.0.11', ['10.0.0.10', '10.0.0.11'])).toBeNull();
		expect(nextFreeAddress('10.0.0.255', '10.0.1.0', ['10.0.0.255'])).toBe('10.0.1.0');
	});
});
