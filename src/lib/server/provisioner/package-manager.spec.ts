import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APT_PROXY_FILE, aptFailureSummary, aptProxyCommand, detectPackageManager, installCommand, parseOsRelease } from './package-manager';

const DEBIAN = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n`;
const UBUNTU = `NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n`;
const ROCKY = `NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\n`;
const ALPINE = `NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.0\n`;

describe('package manager detection', () => {
	it.each([
		[DEBIAN, 'apt'],
		[UBUNTU, 'apt'],
		[ROCKY, 'dnf'],
		[ALPINE, 'apk'],
		['ID=linuxmint\nID_LIKE="ubuntu debian"', 'apt']
	])('%#', (text, pm) => expect(detectPackageManager(text)).toBe(pm));

	it('names the system it does not know', () => {
		expect(() => detectPackageManager('PRETTY_NAME="Plan 9"\nID=plan9\n')).toThrow(/Plan 9.*apt, dnf and apk/);
	});

	it('parses quoted values and ignores junk lines', () => {
		expect(parseOsRelease(`# comment\nID="a b"\nX='y'\n  junk\nZ=\\"q`)).toEqual({ ID: 'a b', X: 'y', Z: '"q' });
	});
});

describe('installCommand', () => {
	it('apt refreshes lists and waits for the dpkg lock', () => {
		const cmd = installCommand('apt', ['git', 'nodejs']);
		expect(cmd).toContain('DPkg::Lock::Timeout=');
		expect(cmd).toMatch(/update -q && apt-get .* install -y .* git nodejs$/);
	});

	it('refuses names that carry shell syntax, whatever the caller validated', () => {
		for (const bad of ['git; touch /tmp/x', '$(id)', '-oAPT::x', 'a b', '', '`x`']) {
			expect(() => installCommand('apt', [bad])).toThrow(/Invalid package name|No packages/);
		}
	});

	it('produces a command a real shell parses into the expected words', () => {
		const cmd = installCommand('dnf', ['gcc-c++', 'python3.11']);
		const words = execFileSync('/bin/sh', ['-c', `set -- ${cmd}; printf '%s\\n' "$@"`], { encoding: 'utf8' });
		expect(words.trim().split('\n')).toEqual(['dnf', 'install', '-y', '--setopt=install_weak_deps=False', 'gcc-c++', 'python3.11']);
	});

	it('points apt at the proxy in its own apt.conf.d file before installing, and removes it without one', () => {
		const cmd = installCommand('apt', ['git'], 'http://10.213.4.1:3142');
		expect(cmd.startsWith(`printf '%s\\n' `)).toBe(true);
		expect(cmd).toContain(`> ${APT_PROXY_FILE} && `);
		expect(cmd.indexOf(APT_PROXY_FILE)).toBeLessThan(cmd.indexOf('apt-get'));
		expect(installCommand('apt', ['git'])).toMatch(new RegExp(`^rm -f ${APT_PROXY_FILE} && `));
	});

	it('writes exactly the apt setting, as a real shell runs it', () => {
		const dir = mkdtempSync(join(tmpdir(), 'spyre-aptproxy-'));
		try {
			const cmd = aptProxyCommand('http://[fd00::1]:3142').replace(APT_PROXY_FILE, join(dir, 'p'));
			execFileSync('/bin/sh', ['-c', cmd]);
			expect(readFileSync(join(dir, 'p'), 'utf8')).toBe('// Written by Spyre (provision.apt_proxy); rewritten at every packages step.\nAcquire::http::Proxy "http://[fd00::1]:3142";\n');
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it('refuses a proxy that carries syntax, whatever the caller validated', () => {
		for (const bad of ['http://x:1";\nAPT::Update::Pre-Invoke {"id"', "http://x:1' ; touch /tmp/x ; '", 'http://u:p@x:1', 'ftp://x:1', 'http://$(id):1']) {
			expect(() => installCommand('apt', ['git'], bad)).toThrow(/Invalid package proxy/);
			expect(() => installCommand('dnf', ['git'], bad)).toThrow(/Invalid package proxy/);
		}
	});

	it('gives dnf and apk the proxy on their command line', () => {
		const words = (cmd: string) =>
			execFileSync('/bin/sh', ['-c', `set -- ${cmd}; printf '%s\\n' "$@"`], { encoding: 'utf8' })
				.trim()
				.split('\n');
		expect(words(installCommand('dnf', ['git'], 'http://p:3128'))).toEqual(['dnf', 'install', '-y', '--setopt=install_weak_deps=False', '--setopt=proxy=http://p:3128', 'git']);
		expect(words(installCommand('apk', ['git'], 'http://p:3128'))).toEqual(['env', 'http_proxy=http://p:3128', 'apk', 'add', '--no-cache', '--wait=300', 'git']);
	});
});

describe('aptFailureSummary', () => {
	const refused = 'http://security.debian.org/debian-security/pool/updates/main/libe/libevent/libevent-core-2.1-7_2.1.12-stable-8%2bdeb12u1_amd64.deb';
	it.each([
		[
			'a file the proxy refused, with its reason from the status line',
			[
				'Err:1 http://security.debian.org/debian-security bookworm-security/main amd64 libevent-core-2.1-7 amd64 2.1.12-stable-8+deb12u1',
				'  403  Refused by the package proxy: odd path segment [IP: 10.213.210.1 3142]',
				`E: Failed to fetch ${refused}  403  Refused by the package proxy: odd path segment [IP: 10.213.210.1 3142]`,
				'E: Unable to fetch some archives, maybe run apt-get update or try with --fix-missing?'
			],
			`apt could not fetch ${refused} (403 Refused by the package proxy: odd path segment)`
		],
		[
			'an unreachable proxy, each file once, at most three',
			[1, 2, 3, 4, 1].map((n) => `W: Failed to fetch http://deb.debian.org/debian/dists/f${n}/InRelease  Could not connect to 10.213.0.1:3142 (10.213.0.1). - connect (111: Connection refused)`),
			'apt could not fetch http://deb.debian.org/debian/dists/f1/InRelease (Could not connect to 10.213.0.1:3142 (10.213.0.1). - connect (111: Connection refused)); ' +
				'http://deb.debian.org/debian/dists/f2/InRelease (Could not connect to 10.213.0.1:3142 (10.213.0.1). - connect (111: Connection refused)); ' +
				'http://deb.debian.org/debian/dists/f3/InRelease (Could not connect to 10.213.0.1:3142 (10.213.0.1). - connect (111: Connection refused)) and 1 more'
		],
		['no fetch failure: its last error', ['Reading package lists...', 'E: Unable to locate package nope'], 'apt: Unable to locate package nope'],
		['nothing apt said', ['Killed'], null]
	])('%s', (_what, lines, summary) => expect(aptFailureSummary(lines)).toBe(summary));
});
