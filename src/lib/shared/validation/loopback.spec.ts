import { describe, expect, it } from 'vitest';
import { isLoopbackAddress, isLoopbackHost } from './loopback';

describe('isLoopbackAddress', () => {
	it.each(['127.0.0.1', '127.9.9.9', '127.255.255.255', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::0:1', '::ffff:127.0.0.1', '::FFFF:127.0.0.53', '[::ffff:7f00:1]', '::ffff:7f01:203'])(
		'accepts %s',
		(v) => {
			expect(isLoopbackAddress(v)).toBe(true);
		}
	);
	it.each([
		'0.0.0.0',
		'128.0.0.1',
		'10.0.0.1',
		'127.1', // a URL parser's shorthand: callers holding a URL pass its canonical hostname instead
		'0x7f.1',
		'0x7f.0.0.1',
		'0177.0.0.1',
		'127.000.000.001',
		'2130706433',
		'127.0.0.1 ',
		'127.0.0.1/8',
		'::',
		'::2',
		'::127.0.0.1', // IPv4-compatible (deprecated), not mapped: not routed to loopback
		'::ffff:128.0.0.1',
		'::ffff:0127.0.0.1',
		'::1%lo',
		'[::1',
		'localhost', // a name, not an address
		''
	])('refuses %j', (v) => {
		expect(isLoopbackAddress(v)).toBe(false);
	});
});

describe('isLoopbackHost', () => {
	it.each(['localhost', 'LOCALHOST', 'localhost.', 'spyre.localhost', 'a.b.localhost.', '127.0.0.1', '[::1]', '::1', '[::ffff:7f00:1]'])('accepts %s', (v) => {
		expect(isLoopbackHost(v)).toBe(true);
	});
	it.each([
		'localhost.evil.example',
		'evillocalhost',
		'localhost..',
		'.localhost',
		'a..localhost',
		'bad_name.localhost',
		'localhöst',
		'127.1',
		'0x7f.1',
		'rebind.127.0.0.1.nip.io',
		'0.0.0.0',
		'[::]',
		''
	])('refuses %j', (v) => {
		expect(isLoopbackHost(v)).toBe(false);
	});
});
