// Container lifecycle: the files of a CT (host key, authorized_keys, sshd_config, boot script under
// DIR/cts/VMID) and its processes: `unshare --mount --uts --pid --fork` running a boot script (PID 1) that
// mounts the CT's own root filesystem (rootfs.ts), pivots into it and runs a real sshd as root of the CT's
// user namespace (host uid 100000), bound to the CT's address in its own network namespace (network.ts
// wires it up before sshd listens). Without host root (legacy mode) the CT only gets private /root, /home
// and /tmp and shares the host's network on a loopback address. Never kills a process it did not start.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cmdline, comm, isAlive, namespaceMembers, rssBytes, userNs } from './procfs';
import { shQuote } from './quote';
import type { CtNetFiles } from './network';
import { bootScript, ID_BASE, prepareRootfs } from './rootfs';

const run = promisify(execFile);
export const SSHD = '/usr/sbin/sshd';

export interface CtRuntime {
	/** State dir of the whole simulator. */
	stateDir: string;
	sshPort: number;
	/** Non-root mode: add `--user --map-root-user` to unshare (no own rootfs, see docs/simulator.md). */
	userns: boolean;
	/** The native helper (native.ts); unused in non-root mode. */
	helper: string;
	/** The templates dir (storage.ts): archives in cache/, the trees CTs stand on in rootfs/. */
	templatesDir: string;
}

export const ctDir = (stateDir: string, vmid: number): string => join(stateDir, 'cts', String(vmid));

export function assertLoopback(address: string): void {
	if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || address.split('.').some((o) => Number(o) > 255)) throw new Error(`refusing to use non-loopback address ${address}`);
}

/** `ssh-keygen -l` on every non-empty, non-comment line; false when any line is not a public key. */
export async function validatePublicKeys(text: string): Promise<boolean> {
	const lines = text
		.split('\n')
		.map((l) => l.trim())
		.filter((l) => l !== '' && !l.startsWith('#'));
	for (const [i, line] of lines.entries()) {
		const file = join(tmpdir(), `pve-sim-key-${process.pid}-${Date.now()}-${i}.pub`);
		writeFileSync(file, `${line}\n`, { mode: 0o600 });
		try {
			await run('ssh-keygen', ['-l', '-f', file]);
		} catch {
			return false;
		} finally {
			rmSync(file, { force: true });
		}
	}
	return true;
}

/**
 * Make the CT's directories and its ed25519 host key, and (with host root) seed its root filesystem over
 * `tree`, its template's extracted tree; returns the `ssh-keygen -l` line of the key.
 */
export async function prepareCt(rt: CtRuntime, vmid: number, hostname: string, publicKeys: string, tree: string): Promise<string> {
	const dir = ctDir(rt.stateDir, vmid);
	mkdirSync(dir, { recursive: true });
	// The CT dir holds the CT's upper layer: only host root may enter it.
	chmodSync(dir, 0o700);
	if (rt.userns) {
		for (const sub of ['root', 'home', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
		chmodSync(join(dir, 'root'), 0o700);
		chmodSync(join(dir, 'tmp'), 0o1777);
	}
	writeFileSync(join(dir, 'authorized_keys'), publicKeys.endsWith('\n') || publicKeys === '' ? publicKeys : `${publicKeys}\n`, {
		mode: 0o600
	});
	const key = join(dir, 'ssh_host_ed25519_key');
	rmSync(key, { force: true });
	rmSync(`${key}.pub`, { force: true });
	await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${hostname}`, '-f', key]);
	if (!rt.userns) prepareRootfs(dir, tree, { hostname, publicKeys: readFileSync(join(dir, 'authorized_keys'), 'utf8'), hostKey: key });
	const { stdout } = await run('ssh-keygen', ['-l', '-f', `${key}.pub`]);
	return stdout.trim();
}

/** The directories under DIR/cts/VMID that hold the CT's files: its upper layer, or the legacy root/ and home/. */
export function ctLayers(stateDir: string, vmid: number): string[] {
	return existsSync(join(ctDir(stateDir, vmid), 'upper')) ? ['upper'] : ['root', 'home'];
}

export function removeCtFiles(stateDir: string, vmid: number): void {
	rmSync(ctDir(stateDir, vmid), { recursive: true, force: true });
}

/** sshd_config values are double-quoted; a path with a quote or newline cannot be written safely. */
function cfgPath(p: string): string {
	if (/["\n\r]/.test(p)) throw new Error(`unsupported character in path ${JSON.stringify(p)}`);
	return `"${p}"`;
}

/**
 * sshd_config for a CT or the host; `base` is the directory as seen inside its mount namespace. With
 * `ownRoot` the files are the CT's own: /etc/ssh host key, ~/.ssh/authorized_keys of each user.
 */
export function sshdConfig(opts: { address: string; port: number; base: string; setEnv: string[]; ownRoot?: boolean }): string {
	const hostKey = opts.ownRoot ? '/etc/ssh/ssh_host_ed25519_key' : `${opts.base}/ssh_host_ed25519_key`;
	const authorizedKeys = opts.ownRoot ? '.ssh/authorized_keys' : `${opts.base}/authorized_keys`;
	const pidFile = opts.ownRoot ? '/run/sshd.pid' : `${opts.base}/sshd.pid`;
	return [
		'# Generated by pve-sim. Do not edit: rewritten at every start.',
		`Port ${opts.port}`,
		`ListenAddress ${opts.address}`,
		'AddressFamily inet',
		`HostKey ${cfgPath(hostKey)}`,
		`PidFile ${cfgPath(pidFile)}`,
		`AuthorizedKeysFile ${opts.ownRoot ? authorizedKeys : cfgPath(authorizedKeys)}`,
		'PubkeyAuthentication yes',
		'PasswordAuthentication no',
		'KbdInteractiveAuthentication no',
		'UsePAM no',
		'PermitRootLogin prohibit-password',
		'StrictModes no',
		'PrintMotd no',
		'PrintLastLog no',
		'X11Forwarding no',
		'AllowTcpForwarding yes',
		'Subsystem sftp internal-sftp',
		'AcceptEnv LANG LC_*',
		`SetEnv ${opts.setEnv.join(' ')}`,
		''
	].join('\n');
}

/** Where a CT sees its own directory (DIR/cts/VMID) from inside: /tmp and /root are replaced there. */
export const CT_INNER_DIR = '/run/pve-sim-ct';

/** Non-root mode's init: PID 1 of its namespaces. It forwards SIGTERM to sshd and exits (which ends every process in the CT). */
function legacyInitScript(dir: string, hostname: string): string {
	const q = shQuote;
	const inner = CT_INNER_DIR;
	return [
		'#!/bin/sh',
		'# Generated by pve-sim: PID 1 of a simulated CT (own mount, UTS and PID namespaces).',
		'set -e',
		'mount --make-rprivate /',
		`hostname ${q(hostname)}`,
		'mount -t tmpfs -o mode=0755 pve-sim-run /run',
		`mkdir -p /run/sshd ${inner}`,
		// The CT dir may itself live under /tmp or /root, which are about to be replaced.
		`mount --bind ${q(dir)} ${inner}`,
		`mount --bind ${inner}/root /root`,
		`mount --bind ${inner}/home /home`,
		`mount --bind ${inner}/tmp /tmp`,
		`${SSHD} -D -e -f ${inner}/sshd_config &`,
		'sshd_pid=$!',
		`trap 'kill -TERM "$sshd_pid" 2>/dev/null; exit 0' TERM`,
		'set +e',
		'while :; do sleep 2147483647 & wait $!; done',
		''
	].join('\n');
}

export interface StartedCt {
	initPid: number;
	process: ChildProcess;
	/** How long the network namespace's setup took (0 without one); benchmarks report it. */
	netMs: number;
}

/**
 * Start the CT's namespaces and sshd; resolves once sshd accepts TCP on address:port. With `attachNet`
 * the CT gets a network namespace of its own (owned by the host's user namespace): the boot waits on
 * its stdin until `attachNet.attach(pid of PID 1)` has put eth0 there and written `attachNet.files`,
 * then applies them (filter, then address and routes) before sshd listens.
 * Without it (legacy mode) the address must be a loopback one of the host.
 */
export async function startCt(
	rt: CtRuntime,
	vmid: number,
	hostname: string,
	address: string,
	/** Its overlay's lower layers (rootfs.ts lowerLayers); unused in non-root mode. */
	lowers: string[],
	attachNet?: { files: CtNetFiles; attach: (initPid: number) => Promise<unknown> }
): Promise<StartedCt> {
	if (!attachNet) assertLoopback(address);
	const dir = ctDir(rt.stateDir, vmid);
	if (!existsSync(join(dir, 'ssh_host_ed25519_key'))) throw new Error(`missing host key for CT ${vmid}`);
	const own = !rt.userns;
	if (own) {
		const missing = lowers.find((l) => !existsSync(l));
		if (missing) throw new Error(`startup for container '${vmid}' failed - its root filesystem layer ${missing} is missing (run scripts/build-templates.sh)`);
		if (!existsSync(join(dir, 'upper'))) await migrateLegacyCt(dir, hostname, lowers.at(-1) as string);
	}
	const config = join(dir, 'sshd_config');
	writeFileSync(config, sshdConfig({ address, port: rt.sshPort, base: CT_INNER_DIR, setEnv: ['LANG=C.UTF-8'], ownRoot: own }));
	if (attachNet && !own) throw new Error('a network namespace per CT needs host root');
	const script = own ? bootScript({ ctDir: dir, helper: rt.helper, hostname, lowers, sshdConfig: config, address, port: rt.sshPort, net: attachNet?.files }) : legacyInitScript(dir, hostname);
	writeFileSync(join(dir, 'init.sh'), script, { mode: 0o755 });
	const console = join(dir, 'console.log');
	writeFileSync(console, '');
	const fd = openSync(console, 'a');
	const args = [
		...(rt.userns ? ['--user', '--map-root-user'] : []),
		...(attachNet ? ['--net'] : []),
		'--mount',
		'--uts',
		'--pid',
		'--fork',
		'--mount-proc',
		'--kill-child',
		'/bin/sh',
		join(dir, 'init.sh')
	];
	const child = spawn('unshare', args, { detached: true, stdio: [attachNet ? 'pipe' : 'ignore', fd, fd] });
	closeSync(fd);
	let exited = false;
	child.on('exit', () => (exited = true));
	child.on('error', () => (exited = true));
	child.stdin?.on('error', () => undefined);
	const deadline = Date.now() + 10_000;
	let initPid = 0;
	// When the boot is done and sshd was started (the legacy init starts it at once).
	let bootedAt = own ? 0 : Date.now();
	let netReady = !attachNet;
	let netMs = 0;
	let holderMissing = false;
	try {
		while (Date.now() < deadline) {
			if (exited) throw new Error(startFailure(vmid, console, address, rt.sshPort));
			if (!initPid && child.pid) initPid = firstChild(child.pid);
			if (initPid && !netReady && attachNet) {
				const t0 = performance.now();
				try {
					await attachNet.attach(initPid);
					netMs = Math.round(performance.now() - t0);
				} catch (err) {
					throw new Error(`startup for container '${vmid}' failed - network: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
				}
				netReady = true;
				child.stdin?.end('go\n');
			}
			if (initPid && !bootedAt && cmdline(initPid).startsWith(`${rt.helper} init `)) bootedAt = Date.now();
			// The init keeps running when sshd dies at once (bind error): notice that without waiting 10 s.
			if (bootedAt && Date.now() - bootedAt > 300 && !namespaceMembers(initPid).some((p) => isSshd(p))) throw new Error(startFailure(vmid, console, address, rt.sshPort));
			if (initPid && bootedAt && (await accepts(address, rt.sshPort))) {
				writeFileSync(join(dir, 'init.pid'), `${initPid}\n`);
				// `pct exec` enters the CT's user namespace through a process that lives in it.
				// The helper's holder process (comm pve-sim-userns) lives as long as the CT; a probe's sshd would not.
				const inUserns = namespaceMembers(initPid).find((p) => comm(p) === 'pve-sim-userns' && userNs(p) !== userNs(initPid));
				// sshd can accept before the init has forked the holder (seen under load): wait for it until the deadline.
				if (own && !inUserns) {
					holderMissing = true;
					await sleep(30);
					continue;
				}
				writeFileSync(join(dir, 'userns.pid'), inUserns ? `${inUserns}\n` : '');
				return { initPid, process: child, netMs };
			}
			await sleep(30);
		}
		if (holderMissing) throw new Error(`startup for container '${vmid}' failed - no process in its user namespace`);
		throw new Error(`${startFailure(vmid, console, address, rt.sshPort)} (sshd did not accept connections within 10 s)`);
	} catch (err) {
		if (child.pid && !exited) killPid(child.pid, 'SIGKILL');
		if (initPid) killPid(initPid, 'SIGKILL');
		throw err;
	}
}

/** sshd itself (legacy init) or the listener that runs `sshd -i` per connection (own-root CTs). */
function isSshd(pid: number): boolean {
	return cmdline(pid).startsWith(SSHD) || cmdline(pid).startsWith('sshd:') || comm(pid) === 'sshd-listener';
}

/**
 * A CT made by an older simulator (no own root filesystem): seed one, and carry its private /root and
 * /home over, owned by CT root (they were host root's).
 */
async function migrateLegacyCt(dir: string, hostname: string, tree: string): Promise<void> {
	prepareRootfs(dir, tree, { hostname, publicKeys: readFileSync(join(dir, 'authorized_keys'), 'utf8'), hostKey: join(dir, 'ssh_host_ed25519_key') });
	for (const sub of ['root', 'home']) {
		if (!existsSync(join(dir, sub))) continue;
		await run('cp', ['-a', `${join(dir, sub)}/.`, join(dir, 'upper', sub)]);
		await run('chown', ['-R', `${ID_BASE}:${ID_BASE}`, join(dir, 'upper', sub)]);
		rmSync(join(dir, sub), { recursive: true, force: true });
	}
	rmSync(join(dir, 'tmp'), { recursive: true, force: true });
}

function startFailure(vmid: number, consoleLog: string, address: string, port: number): string {
	let out = '';
	try {
		out = readFileSync(consoleLog, 'utf8').trim().split('\n').slice(-3).join('; ');
	} catch {
		/* no log */
	}
	const bind = /Bind to port|Address already in use|Cannot assign requested address/.test(out) ? ` - sshd could not bind ${address}:${port}` : '';
	return `startup for container '${vmid}' failed${bind}${out ? ` (${out})` : ''}`;
}

function firstChild(pid: number): number {
	try {
		const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
		return text ? Number(text.split(/\s+/)[0]) : 0;
	} catch {
		return 0;
	}
}

export function accepts(address: string, port: number, timeoutMs = 500): Promise<boolean> {
	return new Promise((resolve) => {
		const sock = connect({ host: address, port });
		const done = (ok: boolean) => {
			sock.destroy();
			resolve(ok);
		};
		sock.setTimeout(timeoutMs, () => done(false));
		sock.once('connect', () => done(true));
		sock.once('error', () => done(false));
	});
}

/** True when nothing listens on address:port (we can bind it ourselves). */
export function portFree(address: string, port: number): Promise<boolean> {
	assertLoopback(address);
	return new Promise((resolve) => {
		const srv = createServer();
		srv.once('error', () => resolve(false));
		srv.listen({ host: address, port, exclusive: true }, () => srv.close(() => resolve(true)));
	});
}

export function killPid(pid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(pid, signal);
	} catch {
		/* already gone */
	}
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (!isAlive(pid)) return true;
		await sleep(20);
	}
	return !isAlive(pid);
}

/** Hard stop: SIGKILL the CT's PID 1, which ends every process in its PID namespace. */
export async function stopCt(stateDir: string, vmid: number, initPid: number | undefined): Promise<void> {
	if (initPid && isAlive(initPid)) {
		killPid(initPid, 'SIGKILL');
		await waitGone(initPid, 3000);
	}
	rmSync(join(ctDir(stateDir, vmid), 'init.pid'), { force: true });
	rmSync(join(ctDir(stateDir, vmid), 'userns.pid'), { force: true });
}

/** Clean shutdown: SIGTERM to PID 1 (unless `deliver` is false); true when it ended within the timeout. */
export async function shutdownCt(initPid: number, timeoutMs: number, deliver: boolean): Promise<boolean> {
	if (deliver) killPid(initPid, 'SIGTERM');
	return waitGone(initPid, timeoutMs);
}

/** SIGKILL every process of the CT except its PID 1: sshd and all sessions die, the CT stays "running". */
export function killSessions(initPid: number): number {
	// The user-namespace holder stays: `pct exec` still works in a CT whose sshd crashed, as on PVE.
	const victims = namespaceMembers(initPid).filter((p) => p !== initPid && comm(p) !== 'pve-sim-userns');
	for (const p of victims) killPid(p, 'SIGKILL');
	return victims.length;
}

/** Resident memory of every process in the CT. */
export function ctMemory(initPid: number): number {
	return namespaceMembers(initPid).reduce((sum, p) => sum + rssBytes(p), 0);
}

/** A PID recorded by an earlier simulator process that still runs this CT's init: kill it before reuse. */
export async function killStaleInit(stateDir: string, vmid: number): Promise<void> {
	const file = join(ctDir(stateDir, vmid), 'init.pid');
	if (!existsSync(file)) return;
	const pid = Number(readFileSync(file, 'utf8').trim());
	// The legacy init keeps init.sh in its command line; the helper's init has DIR/cts/VMID/rootfs.
	if (pid > 0 && isAlive(pid) && cmdline(pid).includes(`${ctDir(stateDir, vmid)}/`)) {
		killPid(pid, 'SIGKILL');
		await waitGone(pid, 3000);
	}
	rmSync(file, { force: true });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export { isAlive as isAliveInit } from './procfs';
