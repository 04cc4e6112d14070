import { describe, expect, it } from 'vitest';
import { allowedEnv, asLoginUser, forwardTarget, sftpServerAs } from './policy';

describe('gateway policy', () => {
	it.each([
		['LANG', 'C.UTF-8', true],
		['LC_ALL', 'en_US.UTF-8', true],
		['TERM', 'xterm-256color', true],
		['LD_PRELOAD', '/evil.so', false],
		['BASH_ENV', '/tmp/x', false],
		['PATH', '/tmp', false],
		['LC_', 'x', false],
		['LANG', 'a\nb', false],
		['LANG', 'x'.repeat(300), false]
	])('env %s=%s allowed: %s', (name, value, ok) => {
		expect(allowedEnv(name, value)).toBe(ok);
	});

	it.each([
		['localhost', 8080, { host: '127.0.0.1', port: 8080 }],
		['LOCALHOST', 80, { host: '127.0.0.1', port: 80 }],
		['127.0.0.1', 5432, { host: '127.0.0.1', port: 5432 }],
		['::1', 22, { host: '::1', port: 22 }],
		['10.213.0.5', 3000, { host: '10.213.0.5', port: 3000 }],
		['10.213.0.6', 3000, null],
		['127.0.0.2', 3000, null],
		['192.168.1.1', 80, null],
		['example.com', 443, null],
		['localhost.evil.com', 80, null],
		['localhost', 0, null],
		['localhost', 70000, null]
	])('forward to %s:%s → %o (CT at 10.213.0.5)', (host, port, want) => {
		expect(forwardTarget(host, port, '10.213.0.5')).toEqual(want);
	});

	it('runs as root verbatim and as another user through su -l, quoted', () => {
		expect(asLoginUser('root', `echo "it's"; id`)).toBe(`echo "it's"; id`);
		expect(asLoginUser('root', null)).toBeNull();
		expect(asLoginUser('dev', `echo "it's"`)).toBe(`exec su -l -c 'echo "it'\\''s"' -- dev`);
		expect(asLoginUser('dev', null)).toBe('exec su -l -- dev');
		expect(sftpServerAs('dev')).toMatch(/^exec su -l -s \/bin\/sh -c '.*sftp-server.*' -- dev$/);
	});
});
