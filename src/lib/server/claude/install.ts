// "Install Claude Code" in an environment. Two ways: copy the CLI this Spyre host has installed (its npm
// package and the native binary beside it, as a tar stream over SSH: no network needed in the CT, and the
// version Spyre was tested with), or `npm install -g` in the environment when the host has no copy. The
// claude-dev config installs it with npm while provisioning; this is the one-click path for the others.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as ssh from '../ssh';
import { SpyreError, messageOf } from '../errors';
import { command, quote } from '../shell';
import type { SshTarget } from '../ssh/types';

const PACKAGE = '@anthropic-ai/claude-code';
const NATIVE = '@anthropic-ai/claude-code-linux-x64';
const REMOTE_MODULES = '/usr/local/lib/node_modules';

/** The host's installed package: { root, version } of node_modules/@anthropic-ai, or null. */
export function localPackage(root: string = path.join(process.cwd(), 'node_modules')): { modules: string; version: string } | null {
	try {
		const pkg = JSON.parse(fs.readFileSync(path.join(root, PACKAGE, 'package.json'), 'utf8')) as { version?: string };
		if (!pkg.version || !fs.existsSync(path.join(root, NATIVE, 'claude'))) return null;
		return { modules: root, version: pkg.version };
	} catch {
		return null;
	}
}

/** Whether `claude` runs in the environment; its version when it does. */
export async function cliVersion(target: SshTarget): Promise<string | null> {
	const r = await ssh.exec(target, 'command -v claude >/dev/null 2>&1 && claude --version', { timeoutMs: 20_000 });
	if (r.code !== 0) return null;
	return r.stdout.trim().split(/\s/)[0] || 'unknown';
}

/** Stream the host's package into the environment and link /usr/local/bin/claude to its binary. */
async function copyInto(target: SshTarget, modules: string): Promise<void> {
	const remote = [
		`mkdir -p ${quote(REMOTE_MODULES)} /usr/local/bin`,
		`rm -rf ${quote(`${REMOTE_MODULES}/${PACKAGE}`)} ${quote(`${REMOTE_MODULES}/${NATIVE}`)}`,
		command('tar', '-x', '-C', REMOTE_MODULES, '-f', '-'),
		`ln -sf ${quote(`${REMOTE_MODULES}/${PACKAGE}/bin/claude.exe`)} /usr/local/bin/claude`
	].join(' && ');
	const client = await ssh.getConnection(target);
	// tar keeps the hard link between bin/claude.exe and the native binary: ~400 MB cross the link once.
	const tar = spawn('tar', ['-c', '-C', modules, PACKAGE, NATIVE], { stdio: ['ignore', 'pipe', 'pipe'] });
	let tarErr = '';
	tar.stderr.on('data', (d: Buffer) => (tarErr += d.toString()));
	try {
		await new Promise<void>((resolve, reject) => {
			client.exec(remote, (err, channel) => {
				if (err) return reject(err);
				let code: number | null = null;
				let stderr = '';
				channel.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
				channel.on('exit', (c: number | null) => (code = c));
				channel.on('close', () => (code === 0 ? resolve() : reject(new Error(stderr.trim() || `exit ${code}`))));
				tar.stdout.pipe(channel);
			});
		});
	} catch (err) {
		throw new SpyreError('ssh', `Copying Claude Code into the environment failed: ${messageOf(err)}${tarErr ? ` (${tarErr.trim()})` : ''}`);
	} finally {
		if (tar.exitCode === null) tar.kill('SIGKILL');
	}
}

async function npmInstall(target: SshTarget, version: string | null): Promise<void> {
	const spec = version ? `${PACKAGE}@${version}` : PACKAGE;
	const r = await ssh.execStream(target, command('npm', 'install', '-g', '--no-audit', '--no-fund', spec), { timeoutMs: 900_000 });
	if (r.code !== 0) {
		throw new SpyreError('ssh', `npm install -g ${spec} failed in the environment${r.timedOut ? ' (timed out)' : ''}: ${r.output.trim().split('\n').slice(-3).join(' / ')}`);
	}
}

/** Install Claude Code in a reachable environment; returns the version that runs there afterwards. */
export async function installClaudeCode(target: SshTarget): Promise<{ version: string; method: 'copy' | 'npm' }> {
	const local = localPackage();
	if (local) await copyInto(target, local.modules);
	else await npmInstall(target, null);
	const version = await cliVersion(target);
	if (!version) throw new SpyreError('ssh', 'Claude Code was installed but `claude --version` does not run in the environment.');
	return { version, method: local ? 'copy' : 'npm' };
}
