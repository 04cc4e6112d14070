import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_NPMRC, NPMRC_MARKER, npmRegistryCommand } from './npm-registry';

let dir: string;
let bin: string;

beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), 'npm-registry-spec-'));
	bin = join(dir, 'bin');
	mkdirSync(bin);
	// PATH is only this dir: the tools the command uses, and never this machine's own npm (whose global
	// config the command would otherwise rewrite).
	for (const tool of ['awk', 'cat', 'rm', 'mkdir', 'dirname', 'tail']) {
		symlinkSync(
			execFileSync('sh', ['-c', `command -v ${tool}`])
				.toString()
				.trim(),
			join(bin, tool)
		);
	}
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Run the command with an `npm` stand-in on PATH that names `npmrc` as its global config (or no npm at all). */
function run(cmd: string, npmrc: string | null): void {
	if (npmrc) {
		writeFileSync(join(bin, 'npm'), `#!/bin/sh\n[ "$*" = "--no-update-notifier config get globalconfig" ] && echo ${npmrc}\n`);
		chmodSync(join(bin, 'npm'), 0o755);
	}
	// The default location is rewritten into the temp dir, so the test never touches the real /etc/npmrc.
	execFileSync('/bin/sh', ['-c', cmd.replaceAll(DEFAULT_NPMRC, join(dir, 'default-npmrc'))], { env: { PATH: bin } });
}

describe('npmRegistryCommand', () => {
	it("writes its registry into the global config npm names, keeps the file's other lines, and replaces its own next time", () => {
		const npmrc = join(dir, 'prefix', 'etc', 'npmrc');
		mkdirSync(join(dir, 'prefix', 'etc'), { recursive: true });
		writeFileSync(npmrc, 'cafile=/etc/ssl/certs/ca-certificates.crt\n', { mode: 0o640 });
		run(npmRegistryCommand('http://10.213.4.1:3142/'), npmrc);
		expect(readFileSync(npmrc, 'utf8')).toBe(`cafile=/etc/ssl/certs/ca-certificates.crt\n${NPMRC_MARKER}\nregistry=http://10.213.4.1:3142/\n`);
		run(npmRegistryCommand('https://npm.lan/repository/npm/'), npmrc);
		expect(readFileSync(npmrc, 'utf8')).toBe(`cafile=/etc/ssl/certs/ca-certificates.crt\n${NPMRC_MARKER}\nregistry=https://npm.lan/repository/npm/\n`);
		// The file keeps its mode (written in place).
		expect(execFileSync('stat', ['-c', '%a', npmrc]).toString().trim()).toBe('640');
		run(npmRegistryCommand(null), npmrc);
		expect(readFileSync(npmrc, 'utf8')).toBe('cafile=/etc/ssl/certs/ca-certificates.crt\n');
		expect(existsSync(`${npmrc}.spyre-tmp`)).toBe(false);
	});

	it("without npm installed, writes Debian's /etc/npmrc; a file that was only Spyre's goes when the registry does", () => {
		const npmrc = join(dir, 'default-npmrc');
		run(npmRegistryCommand('http://10.213.4.1:3142/'), null);
		expect(readFileSync(npmrc, 'utf8')).toBe(`${NPMRC_MARKER}\nregistry=http://10.213.4.1:3142/\n`);
		run(npmRegistryCommand(null), null);
		expect(existsSync(npmrc)).toBe(false);
		// Nothing to take out: no file is created.
		run(npmRegistryCommand(null), null);
		expect(existsSync(npmrc)).toBe(false);
	});

	it('refuses a registry the config rules would refuse', () => {
		for (const bad of ["http://x/'; touch /tmp/pwned; '", 'http://u:p@x/', 'ftp://x/', 'http://x/?a=1', 'http://x/a b/']) {
			expect(() => npmRegistryCommand(bad)).toThrow(/Invalid npm registry/);
		}
	});
});
