// The real Claude Code CLI (the devDependency) made available in simulator CTs. A CT's root is an overlay
// over its template, so nothing of the host is visible in it: the native binary (about 400 MB; the npm
// package around it is only a launcher stub) is streamed into the CT over the CT's own sshd, uncompressed
// (the product's copy path gzips it, which costs far more CPU than the bytes save on a local bridge).
// The product's own install path (src/lib/server/claude/install.ts) is tested separately, once.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, ssh, sshArgs } from './sim';

export const CLAUDE_PACKAGE_DIR = path.join(REPO_ROOT, 'node_modules/@anthropic-ai');

export function claudeVersion(): string {
	return (JSON.parse(fs.readFileSync(path.join(CLAUDE_PACKAGE_DIR, 'claude-code/package.json'), 'utf8')) as { version: string }).version;
}

/** The native binary on the host (tests that run the CLI on the host use it directly). */
export function stagedBinary(): string {
	return path.join(CLAUDE_PACKAGE_DIR, 'claude-code-linux-x64/claude');
}

/** Make `claude` run in the CT at `address` (root login with `key`); resolves once `claude --version` does. */
export async function installClaudeInCt(key: string, address: string, port: number): Promise<void> {
	// Written beside its final name, then renamed: a cut copy never runs.
	const receive = 'mkdir -p /usr/local/bin && cat > /usr/local/bin/.claude.part && chmod 755 /usr/local/bin/.claude.part && mv /usr/local/bin/.claude.part /usr/local/bin/claude';
	await new Promise<void>((resolve, reject) => {
		const child = spawn('ssh', ['-o', 'Compression=no', ...sshArgs(key, address, port, [receive])], { stdio: ['pipe', 'ignore', 'pipe'] });
		let stderr = '';
		child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
		const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
		child.on('error', reject);
		child.on('exit', (code) => {
			clearTimeout(timer);
			if (code === 0) resolve();
			else reject(new Error(`copying claude into ${address} failed (${code}): ${stderr}`));
		});
		fs.createReadStream(stagedBinary()).on('error', reject).pipe(child.stdin);
	});
	const r = await ssh(key, address, port, 'claude --version', 30_000);
	if (r.code !== 0 || !r.stdout.includes('Claude Code')) throw new Error(`claude in ${address} does not run (${r.code}): ${r.stdout}${r.stderr}`);
}
