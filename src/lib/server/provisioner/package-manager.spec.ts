import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { detectPackageManager, installCommand, parseOsRelease } from './package-manager';

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
});
