// The real Claude Code CLI (the devDependency) copied into a simulator CT, which cannot reach npm: the
// package and its native binary go over SSH as a tar stream into /usr/local/lib/node_modules, with
// /usr/local/bin/claude linked to the binary, as `npm install -g` would leave them.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, sshArgs } from './sim';

export const CLAUDE_PACKAGE_DIR = path.join(REPO_ROOT, 'node_modules/@anthropic-ai');

export function claudeVersion(): string {
	return (JSON.parse(fs.readFileSync(path.join(CLAUDE_PACKAGE_DIR, 'claude-code/package.json'), 'utf8')) as { version: string }).version;
}

/** Copy the CLI into the CT at `address` (root login with `key`); resolves when `claude --version` runs there. */
export function installClaudeInCt(key: string, address: string, port: number): Promise<void> {
	const remote =
		'mkdir -p /usr/local/lib/node_modules/@anthropic-ai /usr/local/bin && tar -x -C /usr/local/lib/node_modules/@anthropic-ai -f - && ' +
		'ln -sf /usr/local/lib/node_modules/@anthropic-ai/claude-code/bin/claude.exe /usr/local/bin/claude && claude --version';
	return new Promise((resolve, reject) => {
		const tar = spawn('tar', ['-c', '-C', CLAUDE_PACKAGE_DIR, 'claude-code', 'claude-code-linux-x64'], { stdio: ['ignore', 'pipe', 'inherit'] });
		const ssh = spawn('ssh', sshArgs(key, address, port, [remote]), { stdio: ['pipe', 'pipe', 'pipe'] });
		let out = '';
		ssh.stdout.on('data', (d: Buffer) => (out += d.toString()));
		ssh.stderr.on('data', (d: Buffer) => (out += d.toString()));
		tar.stdout.pipe(ssh.stdin);
		ssh.on('exit', (code) => {
			if (tar.exitCode === null) tar.kill('SIGKILL');
			if (code === 0 && out.includes('Claude Code')) resolve();
			else reject(new Error(`installing claude in ${address} failed (${code}): ${out.trim()}`));
		});
	});
}
