// The real OpenSSH client (ssh, scp, sftp) pointed at Spyre's SSH gateway: pinned to the gateway's host key
// through a known_hosts file of the test's own (StrictHostKeyChecking=yes), one identity only, no agent,
// no config of this machine. Every process started here is waited for or killed by PID.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface Gateway {
	host: string;
	port: number;
	/** "ssh-ed25519 AAAA…" of the gateway's host key. */
	hostPublicKey: string;
	dir: string;
}

export interface Result {
	code: number | null;
	stdout: string;
	stderr: string;
}

export function knownHosts(gw: Gateway): string {
	const file = path.join(gw.dir, 'known_hosts');
	fs.writeFileSync(file, `[${gw.host}]:${gw.port} ${gw.hostPublicKey}\n`);
	return file;
}

/** Options every client gets: pinned host key, this identity only, nothing from ~/.ssh. */
export function clientOptions(gw: Gateway, identity: string): string[] {
	return [
		'-F',
		'/dev/null',
		'-i',
		identity,
		'-o',
		'IdentitiesOnly=yes',
		'-o',
		'IdentityAgent=none',
		'-o',
		'BatchMode=yes',
		'-o',
		'StrictHostKeyChecking=yes',
		'-o',
		`UserKnownHostsFile=${knownHosts(gw)}`,
		'-o',
		'GlobalKnownHostsFile=/dev/null',
		'-o',
		'ConnectTimeout=20',
		'-o',
		'LogLevel=ERROR'
	];
}

export function spawnClient(program: 'ssh' | 'scp' | 'sftp', args: string[], input?: string | Buffer): { child: ChildProcess; done: Promise<Result> } {
	const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
	let stdout = '';
	let stderr = '';
	child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
	child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
	if (input !== undefined) child.stdin!.end(input);
	else child.stdin!.end();
	const done = new Promise<Result>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
	return { child, done };
}

/** `ssh -p PORT <user>@host <command…>` to the gateway, waited for (killed by PID after `timeoutMs`). */
export async function ssh(gw: Gateway, identity: string, user: string, command: string[], opts: { input?: string; extra?: string[]; timeoutMs?: number } = {}): Promise<Result> {
	const { child, done } = spawnClient('ssh', [...clientOptions(gw, identity), ...(opts.extra ?? []), '-p', String(gw.port), `${user}@${gw.host}`, ...command], opts.input);
	const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), opts.timeoutMs ?? 60_000);
	try {
		return await done;
	} finally {
		clearTimeout(timer);
	}
}
