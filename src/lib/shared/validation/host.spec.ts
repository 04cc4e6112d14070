import { describe, expect, it } from 'vitest';
import { canonicalIpv6, DNS_NAME_RE, isDnsName, isIpLiteral, isUrlHost } from './host';

describe('isDnsName', () => {
	it.each([
		'example.com',
		'spyre.localhost',
		'localhost',
		'Example.COM', // DNS is case-insensitive: a base_domain typed with capitals is the same name
		'svc.idle.test',
		'xn--bcher-kva.example', // an international name in its ASCII form
		'a1.b-2.c3',
		'1.2.3.example', // numeric labels are fine, only the last one may not be a number
		'10-0-0-1.nip.io',
		`${'a'.repeat(63)}.example`,
		Array.from({ length: 4 }, () => 'a'.repeat(61)).join('.') + '.abcde' // 253 characters
	])('accepts %s', (v) => {
		expect(isDnsName(v)).toBe(true);
		expect(DNS_NAME_RE.test(v)).toBe(true);
	});

	it.each([
		'',
		'example.com.', // trailing dot: another origin to a browser
		'localhost.',
		'.example.com',
		'a..b',
		'-a.example',
		'a-.example',
		'bücher.example', // IDN must be written in its xn-- form
		'ｅxample.com',
		'a_b.example',
		'a b.example',
		'example.com\n',
		'example.com:80',
		`${'a'.repeat(64)}.example`,
		Array.from({ length: 4 }, () => 'a'.repeat(61)).join('.') + '.abcdef', // 254 characters
		// Ends in a number: URL parsers read these as IPv4 addresses, so they are never names.
		'10.0.0.1',
		'010.0.0.1',
		'999.1.1.1',
		'127.1',
		'0x7f.1',
		'a.0x1f',
		'a.0X',
		'2130706433',
		'::ffff:127.0.0.1',
		null,
		42
	])('refuses %j', (v) => {
		expect(isDnsName(v)).toBe(false);
		if (typeof v === 'string') expect(DNS_NAME_RE.test(v)).toBe(false);
	});

	it('is one pattern without flags (a JSON Schema pattern keeps no flags)', () => {
		expect(DNS_NAME_RE.flags).toBe('');
	});
});

describe('canonicalIpv6', () => {
	it.each([
		['::1', '::1'],
		['0:0:0:0:0:0:0:1', '::1'],
		['FE80::1', 'fe80::1'],
		['::ffff:127.0.0.1', '::ffff:7f00:1'],
		['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1']
	])('%s -> %s', (v, want) => {
		expect(canonicalIpv6(v)).toBe(want);
	});
	it.each(['', ':::', '1::2::3', '::ffff:010.0.0.1', '::ffff:256.0.0.1', '[::1]', '::1%lo', 'fe80::1 ', 'g::1', '1:2:3:4:5:6:7:8:9'])('refuses %j', (v) => {
		expect(canonicalIpv6(v)).toBeNull();
	});
});

describe('isIpLiteral', () => {
	it.each(['10.0.0.1', '[::1]', '[::ffff:127.0.0.1]'])('accepts %s', (v) => {
		expect(isIpLiteral(v)).toBe(true);
	});
	it.each(['example.com', 'localhost', '::1', '[::1', '[example.com]', '010.0.0.1', '127.1', null])('refuses %j', (v) => {
		expect(isIpLiteral(v)).toBe(false);
	});
});

describe('isUrlHost', () => {
	it.each(['example.com', '10.0.0.1', '[::1]', '[fe80::1]', 'Mirror.LAN'])('accepts %s', (v) => {
		expect(isUrlHost(v)).toBe(true);
	});
	it.each(['010.0.0.1', '999.1.1.1', '0x7f.1', '::1', '[:::]', '[::1', 'a..b', 'example.com.', '-x', ''])('refuses %j', (v) => {
		expect(isUrlHost(v)).toBe(false);
	});
});
