// The real Claude Code CLI (the devDependency) made available in simulator CTs, fast. A CT's root is a
// copy-on-write overlay of the host's `/` (minus /work, the repo and Spyre's dirs), so the native binary,
// hard-linked once into a host directory the CTs can see, only needs a symlink in each CT: no 400 MB copy
// per test. The product's own install path (src/lib/server/claude/install.ts) is tested separately, once.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, ssh } from './sim';

export const CLAUDE_PACKAGE_DIR = path.join(REPO_ROOT, 'node_modules/@anthropic-ai');
const STAGE_ROOT = '/var/cache/spyre-test-claude';

export function claudeVersion(): string {
	return (JSON.parse(fs.readFileSync(path.join(CLAUDE_PACKAGE_DIR, 'claude-code/package.json'), 'utf8')) as { version: string }).version;
}

/** The binary at a host path the CTs see (hard link, or a copy across file systems); idempotent. */
export function stagedBinary(): string {
	const dir = path.join(STAGE_ROOT, claudeVersion());
	const dest = path.join(dir, 'claude');
	if (fs.existsSync(dest)) return dest;
	fs.mkdirSync(dir, { recursive: true });
	const src = path.join(CLAUDE_PACKAGE_DIR, 'claude-code-linux-x64/claude');
	const tmp = `${dest}.${process.pid}`;
	try {
		fs.linkSync(src, tmp);
	} catch {
		fs.copyFileSync(src, tmp);
	}
	fs.renameSync(tmp, dest);
	return dest;
}

/** Make `claude` run in the CT at `address` (root login with `key`); resolves once `claude --version` does. */
export async function installClaudeInCt(key: string, address: string, port: number): Promise<void> {
	const bin = stagedBinary();
	const r = await ssh(key, address, port, `mkdir -p /usr/local/bin && ln -sfn '${bin}' /usr/local/bin/claude && claude --version`, 30_000);
	if (r.code !== 0 || !r.stdout.includes('Claude Code')) throw new Error(`linking claude in ${address} failed (${r.code}): ${r.stdout}${r.stderr}`);
}
