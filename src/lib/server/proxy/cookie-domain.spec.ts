import { describe, expect, it } from 'vitest';
import { cookieDomainFor } from '../env-config';
import { checkAdminUrl } from './caddy-admin';

describe('session cookie domain for service subdomains', () => {
	it('is base_domain only when Spyre\'s own host is in it', () => {
		expect(cookieDomainFor('https://spyre.example.com', 'example.com')).toBe('example.com');
		expect(cookieDomainFor('https://example.com', 'example.com')).toBe('example.com');
		expect(cookieDomainFor('https://spyre.example.com', undefined)).toBeUndefined();
		// A browser would refuse a Domain its host is not in; notexample.com is not a subdomain.
		expect(cookieDomainFor('https://notexample.com', 'example.com')).toBeUndefined();
		expect(cookieDomainFor('http://127.0.0.1:3000', 'spyre.test')).toBeUndefined();
	});
});

describe('checkAdminUrl', () => {
	it('accepts loopback http only', () => {
		expect(checkAdminUrl('http://127.0.0.1:2019').port).toBe('2019');
		expect(checkAdminUrl('http://localhost:2019').hostname).toBe('localhost');
		for (const bad of ['http://10.0.0.1:2019', 'https://127.0.0.1:2019', 'http://0.0.0.0:2019', 'http://127.0.0.1.evil.example:2019']) {
			expect(() => checkAdminUrl(bad)).toThrow(/loopback/);
		}
	});
});
