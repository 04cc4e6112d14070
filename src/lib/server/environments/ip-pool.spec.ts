import { describe, expect, it } from 'vitest';
import { nextFreeAddress } from './ip-pool';

describe('ip pool', () => {
	it('hands out the first free address and reports exhaustion', () => {
		expect(nextFreeAddress('10.0.0.10', '10.0.0.12', [])).toBe('10.0.0.10');
		expect(nextFreeAddress('10.0.0.10', '10.0.0.12', ['10.0.0.10', '10.0.0.11/24', null, 'junk'])).toBe('10.0.0.12');
		expect(nextFreeAddress('10.0.0.10', '10.0.0.11', ['10.0.0.10', '10.0.0.11'])).toBeNull();
		expect(nextFreeAddress('10.0.0.255', '10.0.1.0', ['10.0.0.255'])).toBe('10.0.1.0');
	});
});
