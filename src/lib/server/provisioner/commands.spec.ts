import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResolvedScript } from '$lib/shared/types/configs';
import { fileAttributesCommand, parentDirCommand, runScriptCommand, userCommand } from './commands';

const dir = mkdtempSync(join(tmpdir(), 'spyre-cmds-'));
const canary = join(dir, 'canary');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOSTILE = [`$(touch ${canary})`, `\`touch ${canary}\``, `'; touch ${canary}; '`, `"; touch ${canary}; "`, `a\nb; touch ${canary}`, `#{touch ${canary}}`];

function script(over: Partial<ResolvedScript>): ResolvedScript {
	return { name: 's', run: 'echo hi', user: null, workdir: null, env: {}, timeout: 60, ...over };
}

describe('runScriptCommand', () => {
	it('runs the uploaded file in its workdir with its environment, values taken literally', () => {
		const file = join(dir, 'script.sh');
		writeFileSync(file, 'printf "%s|" "$PWD" "$A" "$B"\n');
		for (const value of HOSTILE) {
			const cmd = runScriptCommand(file, script({ workdir: dir, env: { A: value, B: 'x y' } }));
			const out = execFileSync('/bin/sh', ['-c', cmd], { encoding: 'utf8' });
			expect(out).toBe(`${dir}|${value}|x y|`);
		}
		expect(existsSync(canary)).toBe(false);
	});

	it('fails on the first failing command (bash -e), with its exit code', () => {
		const file = join(dir, 'fail.sh');
		writeFileSync(file, 'echo one\nfalse\necho two\n');
		let code = 0;
		let out = '';
		try {
			execFileSync('/bin/sh', ['-c', runScriptCommand(file, script({ workdir: dir }))], { encoding: 'utf8' });
		} catch (err) {
			code = (err as { status: number }).status;
			out = (err as { stdout: string }).stdout;
		}
		expect(code).toBe(1);
		expect(out).toBe('one\n');
	});

	it('lets a script with a shebang pick its interpreter', () => {
		const file = join(dir, 'py.sh');
		writeFileSync(file, '#!/bin/sh\necho "$0" ok\n', { mode: 0o755 });
		const out = execFileSync('/bin/sh', ['-c', runScriptCommand(file, script({ run: '#!/bin/sh\n', workdir: dir }))], { encoding: 'utf8' });
		expect(out).toBe(`${file} ok\n`);
	});

	it('wraps a script user in su with the inner command as one quoted argument', () => {
		const cmd = runScriptCommand('/var/lib/spyre/scripts/1-s.sh', script({ user: 'dev' }));
		const words = execFileSync('/bin/sh', ['-c', `set -- ${cmd}; printf '%s\\n' "$@"`], { encoding: 'utf8' })
			.trim()
			.split('\n');
		expect(words.slice(0, 3)).toEqual(['su', '-s', '/bin/sh']);
		expect(words.at(-1)).toBe('dev');
	});
});

describe('file and user commands', () => {
	it('quotes hostile paths and owners into single words', () => {
		const words = (cmd: string) =>
			execFileSync('/bin/sh', ['-c', `set -- ${cmd}; printf '%s\\0' "$@"`], { encoding: 'utf8' })
				.split('\0')
				.slice(0, -1);
		for (const value of HOSTILE) {
			expect(words(parentDirCommand(`/tmp/${value}/f`))).toEqual(['mkdir', '-p', '--', `/tmp/${value}`]);
			expect(words(fileAttributesCommand(`/x/${value}`, null, value)!)).toEqual(['chown', '--', value, `/x/${value}`]);
		}
		expect(existsSync(canary)).toBe(false);
	});

	it('modes are octal with chmod after chown', () => {
		expect(fileAttributesCommand('/etc/x', 0o4755, 'dev:dev')).toBe('chown -- dev:dev /etc/x && chmod -- 4755 /etc/x');
		expect(fileAttributesCommand('/etc/x', null, null)).toBeNull();
	});

	it('user creation is idempotent and installs keys under the real home', () => {
		const cmd = userCommand({ name: 'dev', groups: ['sudo', 'docker'], shell: '/bin/bash', ssh_keys: ['ssh-ed25519 AAAA x@y'] });
		expect(cmd).toContain('id -u dev >/dev/null 2>&1 || useradd -m -U -s /bin/bash dev');
		expect(cmd).toContain('getent group docker >/dev/null || groupadd docker');
		expect(cmd).toContain('usermod -a -G sudo,docker dev');
		expect(cmd).toContain(`getent passwd dev | cut -d: -f6`);
		// It parses as shell.
		execFileSync('/bin/sh', ['-n', '-c', cmd]);
	});
});
