// A throwaway OpenSSH server for integration tests: its own host key, its own authorized_keys with a
// test-generated ed25519 key, bound to a random 127.88.x.y address on a high port (never port 22, never
// outside loopback). `stop()` kills it and every per-connection child by PID; call it in afterAll.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createSshPool, type SshPool, type SshPoolOptions } from '../../src/lib/server/ssh';

export interface TestSshd {
	host: string;
	port: number;
	dir: string;
	privateKeyPath: string;
	publicKeyPath: string;
	hostKeyFingerprint: string;
	readonly pid: number;
	/** Stop sshd and every session it spawned (simulates the container's sshd dying). */
	stop(): Promise<void>;
	/** Start again on the same address; `newHostKey` simulates a rebuilt container. */
	restart(opts?: { newHostKey?: boolean }): Promise<void>;
	/** Whether sshd is currently running. */
	readonly running: boolean;
	/** A second, unauthorised client key (for auth-failure tests). */
	makeStrangerKey(): string;
	/** The directory mounted over /root inside the sshd's sessions. */
	home: string;
	/**
	 * `TMUX_TMPDIR` of every session: this sshd's tmux servers (Spyre's `tmux -L spyre` among them) live
	 * here, not in the machine-wide /tmp/tmux-UID, so a run never meets another run's or a person's tmux.
	 */
	tmuxDir: string;
	/** stop() and remove the temp directory (keys, config). For afterAll. */
	destroy(): Promise<void>;
}

function keygen(file: string, comment: string) {
	execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { stdio: 'ignore' });
}

function fingerprintOf(pubFile: string): string {
	// "256 SHA256:xxxx comment (ED25519)"
	const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubFile], { encoding: 'utf8' });
	return out.split(' ')[1];
}

async function canBind(host: string, port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const srv = net.createServer();
		srv.once('error', () => resolve(false));
		srv.listen(port, host, () => srv.close(() => resolve(true)));
	});
}

async function pickAddress(): Promise<{ host: string; port: number }> {
	for (let i = 0; i < 50; i++) {
		const host = `127.88.${1 + Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`;
		const port = 20_000 + Math.floor(Math.random() * 40_000);
		if (await canBind(host, port)) return { host, port };
	}
	throw new Error('no free 127.88.x.y address/port');
}

async function waitForBanner(host: string, port: number, deadlineMs: number, proc: ChildProcess, log: () => string) {
	const end = Date.now() + deadlineMs;
	while (Date.now() < end) {
		if (proc.exitCode !== null) throw new Error(`sshd exited with ${proc.exitCode}: ${log()}`);
		const ok = await new Promise<boolean>((resolve) => {
			const s = net.connect(port, host);
			s.setTimeout(500);
			s.once('data', (d) => {
				s.destroy();
				resolve(d.toString().startsWith('SSH-'));
			});
			s.once('error', () => resolve(false));
			s.once('timeout', () => {
				s.destroy();
				resolve(false);
			});
		});
		if (ok) return;
		await new Promise((r) => setTimeout(r, 50));
	}
	throw new Error(`sshd did not start on ${host}:${port}: ${log()}`);
}

function descendants(pid: number): number[] {
	const out: number[] = [];
	let children: number[] = [];
	try {
		children = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
			.split('\n')
			.filter(Boolean)
			.map(Number);
	} catch {
		// pgrep exits 1 when there are none.
	}
	for (const c of children) out.push(c, ...descendants(c));
	return out;
}

/** Whether a process with this PID exists (signal 0). */
export function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

export async function startSshd(): Promise<TestSshd> {
	fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-sshd-'));
	const hostKey = path.join(dir, 'host_ed25519');
	const clientKey = path.join(dir, 'client_ed25519');
	keygen(hostKey, 'spyre-test-host');
	keygen(clientKey, 'spyre-test-client');
	fs.copyFileSync(`${clientKey}.pub`, path.join(dir, 'authorized_keys'));
	const home = path.join(dir, 'home');
	fs.mkdirSync(home, { mode: 0o700 });
	const tmuxDir = path.join(dir, 'tmux');
	fs.mkdirSync(tmuxDir, { mode: 0o700 });
	const { host, port } = await pickAddress();
	const configPath = path.join(dir, 'sshd_config');
	fs.writeFileSync(
		configPath,
		[
			`ListenAddress ${host}:${port}`,
			`HostKey ${hostKey}`,
			`PidFile ${path.join(dir, 'sshd.pid')}`,
			`AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
			'PubkeyAuthentication yes',
			'PasswordAuthentication no',
			'KbdInteractiveAuthentication no',
			'UsePAM no',
			'StrictModes no',
			'PermitRootLogin prohibit-password',
			'AcceptEnv LANG LC_*',
			`SetEnv TMUX_TMPDIR=${tmuxDir}`,
			'MaxSessions 20',
			// As in the simulator's CTs and a stock Debian sshd: file writes go over SFTP.
			'Subsystem sftp internal-sftp',
			'LogLevel ERROR',
			''
		].join('\n')
	);

	let proc: ChildProcess | null = null;
	let log = '';

	async function start() {
		log = '';
		// A private mount namespace with an empty directory over /root: sessions get a clean home (no
		// login scripts of this machine, Spyre's tmux.conf lands in the temp dir), like a fresh container.
		// `unshare` execs, so the PID is sshd's own.
		const p = spawn('unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', 'mount --bind "$1" /root && exec /usr/sbin/sshd -D -e -f "$2"', 'sh', home, configPath], {
			stdio: ['ignore', 'ignore', 'pipe']
		});
		p.stderr!.on('data', (d: Buffer) => {
			log = (log + d.toString()).slice(-4000);
		});
		proc = p;
		await waitForBanner(host, port, 10_000, p, () => log);
	}

	async function stop() {
		const p = proc;
		proc = null;
		if (!p?.pid || p.exitCode !== null) return;
		const pids = [p.pid, ...descendants(p.pid)];
		const exited = new Promise<void>((r) => p.once('exit', () => r()));
		// Top-down, so the connection processes die before the session's programs can exit cleanly:
		// clients see a dropped link, as when a container's network goes away.
		for (const pid of pids) {
			try {
				process.kill(pid, 'SIGKILL');
			} catch {
				// Already gone.
			}
		}
		await exited;
		const end = Date.now() + 5000;
		while (pids.some(isAlive) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
	}

	const sshd: TestSshd = {
		host,
		port,
		dir,
		home,
		tmuxDir,
		privateKeyPath: clientKey,
		publicKeyPath: `${clientKey}.pub`,
		hostKeyFingerprint: fingerprintOf(`${hostKey}.pub`),
		get pid() {
			return proc?.pid ?? -1;
		},
		get running() {
			return proc !== null && proc.exitCode === null;
		},
		stop,
		async restart(opts = {}) {
			await stop();
			if (opts.newHostKey) {
				fs.rmSync(hostKey, { force: true });
				fs.rmSync(`${hostKey}.pub`, { force: true });
				keygen(hostKey, 'spyre-test-host-rebuilt');
				sshd.hostKeyFingerprint = fingerprintOf(`${hostKey}.pub`);
			}
			await start();
		},
		async destroy() {
			await stop();
			fs.rmSync(dir, { recursive: true, force: true });
		},
		makeStrangerKey() {
			const file = path.join(dir, `stranger_${Date.now()}`);
			keygen(file, 'stranger');
			return file;
		}
	};
	await start();
	return sshd;
}

/**
 * Last-resort cleanup: the test sshd runs on this machine, so its sessions' tmux server (`tmux -L spyre`
 * under the sshd's own TMUX_TMPDIR) is reachable directly. Kills every session whose name starts with
 * `prefix` (the test's unique name).
 */
export function killLocalTmuxSessions(sshd: Pick<TestSshd, 'tmuxDir'>, prefix: string): void {
	const env = { ...process.env, TMUX_TMPDIR: sshd.tmuxDir };
	let names: string[];
	try {
		names = execFileSync('tmux', ['-L', 'spyre', 'list-sessions', '-F', '#{session_name}'], {
			encoding: 'utf8',
			env,
			stdio: ['ignore', 'pipe', 'ignore']
		})
			.split('\n')
			.filter((n) => n.startsWith(prefix));
	} catch {
		return; // no server running
	}
	for (const name of names) {
		try {
			execFileSync('tmux', ['-L', 'spyre', 'kill-session', '-t', `=${name}`], { env, stdio: 'ignore' });
		} catch {
			// Already gone (killing a group member can take others with it).
		}
	}
}

/** An SSH pool pointed at a test sshd, with quick test timings; `hostKeys` says where pins go. */
export function testPool(sshd: Pick<TestSshd, 'privateKeyPath' | 'port'>, over: Partial<SshPoolOptions> & Pick<SshPoolOptions, 'hostKeys'>): SshPool {
	return createSshPool({
		privateKey: fs.readFileSync(sshd.privateKeyPath),
		user: 'root',
		port: sshd.port,
		connectTimeoutMs: 5000,
		keepaliveIntervalMs: 30_000,
		keepaliveCountMax: 5,
		idleCloseMs: 60_000,
		...over
	});
}
