// "Install Claude Code" in an environment. The CLI is one self-contained native binary (~400 MB; the npm
// package around it is only a launcher stub), so the copy path sends just that binary, gzip'd on the fly
// (about half the bytes), into /usr/local/lib/spyre-claude/<version>/claude and links /usr/local/bin/claude
// to it: no network needed in the CT, and the version Spyre was tested with. Without a host copy it falls
// back to `npm install -g` in the environment, through the registry the packages step pointed npm at
// (provision.npm_registry; CTs may have no other way to registry.npmjs.org). The claude-dev config installs
// it with npm while provisioning; this is the one-click path for the others.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as ssh from '../ssh';
import { SpyreError, messageOf } from '../errors';
import { command, quote } from '../shell';
import type { SshTarget } from '../ssh/types';

const PACKAGE = '@anthropic-ai/claude-code';
const NATIVE = '@anthropic-ai/claude-code-linux-x64';
const REMOTE_DIR = '/usr/local/lib/spyre-claude';
/** Bounds one copy: 200 MB at a slow 1 MB/s, with room. */
export const COPY_TIMEOUT_MS = 600_000;

export interface LocalCli {
	version: string;
	/** The native binary on this host. */
	binary: string;
}

/** The host's installed CLI (package version and its native binary), or null. */
export function localPackage(root: string = path.join(process.cwd(), 'node_modules')): LocalCli | null {
	try {
		const pkg = JSON.parse(fs.readFileSync(path.join(root, PACKAGE, 'package.json'), 'utf8')) as { version?: string };
		const binary = path.join(root, NATIVE, 'claude');
		if (!pkg.version || !/^[0-9A-Za-z.+-]{1,40}$/.test(pkg.version) || !fs.existsSync(binary)) return null;
		return { version: pkg.version, binary };
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

/** The remote side of a copy: unpack to a temporary name, then move and link, so a cut copy never runs. */
export function receiveCommand(version: string): string {
	const dir = `${REMOTE_DIR}/${version}`;
	const tmp = `${dir}/claude.partial`;
	return [
		'set -e',
		`mkdir -p ${quote(dir)} /usr/local/bin`,
		`gzip -dc > ${quote(tmp)}`,
		`chmod 755 ${quote(tmp)}`,
		`mv -f ${quote(tmp)} ${quote(`${dir}/claude`)}`,
		`ln -sfn ${quote(`${dir}/claude`)} /usr/local/bin/claude`
	].join('\n');
}

/** Stream the host's binary, gzip'd, into the environment over one SSH channel. */
async function copyInto(target: SshTarget, local: LocalCli): Promise<void> {
	const client = await ssh.getConnection(target);
	// -1: the link, not the CPU, is the bottleneck; level 1 already halves the binary.
	const gzip = spawn('gzip', ['-1', '-c', local.binary], { stdio: ['ignore', 'pipe', 'pipe'] });
	let gzipErr = '';
	gzip.stderr.on('data', (d: Buffer) => (gzipErr += d.toString()));
	let timer: NodeJS.Timeout | undefined;
	try {
		await new Promise<void>((resolve, reject) => {
			client.exec(receiveCommand(local.version), (err, channel) => {
				if (err) return reject(err);
				timer = setTimeout(() => {
					channel.close();
					reject(new Error(`timed out after ${COPY_TIMEOUT_MS / 1000} s`));
				}, COPY_TIMEOUT_MS);
				let code: number | null = null;
				let stderr = '';
				channel.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
				channel.on('exit', (c: number | null) => (code = c));
				channel.on('close', () => (code === 0 ? resolve() : reject(new Error(stderr.trim().slice(0, 300) || `exit ${code}`))));
				// The remote prints nothing on stdout, but an unread stdout never ends, and then 'close' never comes.
				channel.resume();
				gzip.stdout.pipe(channel);
			});
		});
	} catch (err) {
		throw new SpyreError('ssh', `Copying Claude Code into the environment failed: ${messageOf(err)}${gzipErr ? ` (${gzipErr.trim()})` : ''}`);
	} finally {
		clearTimeout(timer);
		if (gzip.exitCode === null) gzip.kill('SIGKILL');
	}
}

async function npmInstall(target: SshTarget): Promise<void> {
	const r = await ssh.execStream(target, command('npm', 'install', '-g', '--no-audit', '--no-fund', PACKAGE), { timeoutMs: 900_000 });
	if (r.code !== 0) {
		throw new SpyreError('ssh', `npm install -g ${PACKAGE} failed in the environment${r.timedOut ? ' (timed out)' : ''}: ${r.output.trim().split('\n').slice(-3).join(' / ')}`);
	}
}

/** Install Claude Code in a reachable environment; returns the version that runs there afterwards. */
export async function installClaudeCode(target: SshTarget, local: LocalCli | null = localPackage()): Promise<{ version: string; method: 'copy' | 'npm' }> {
	if (local) await copyInto(target, local);
	else await npmInstall(target);
	const version = await cliVersion(target);
	if (!version) throw new SpyreError('ssh', 'Claude Code was installed but `claude --version` does not run in the environment.');
	return { version, method: local ? 'copy' : 'npm' };
}
