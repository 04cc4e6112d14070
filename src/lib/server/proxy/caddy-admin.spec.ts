import { describe, expect, it } from 'vitest';
import { checkAdminUrl } from './caddy-admin';

describe('checkAdminUrl (loopback only)', () => {
	it.each(['http://127.0.0.1:2019', 'http://127.5.0.1:2019', 'http://localhost:2019', 'http://[::1]:2019', 'http://[::ffff:127.0.0.1]:2019', 'http://0x7f.1:2019'])('accepts %s', (url) => {
		expect(checkAdminUrl(url).protocol).toBe('http:');
	});
	it.each([
		'https://127.0.0.1:2019', // Caddy's admin API is plain http
		'http://10.0.0.2:2019',
		'http://0.0.0.0:2019',
		'http://[::]:2019',
		'http://caddy.lan:2019',
		'http://localhost.evil.example:2019',
		// Loopback to a browser, but Node asks the system resolver for it, where only `localhost` is pinned.
		'http://admin.localhost:2019',
		'http://localhost.:2019'
	])('refuses %s', (url) => {
		expect(() => checkAdminUrl(url)).toThrow(/caddy\.admin_url must be an http:\/\/ address on loopback/);
	});
});
