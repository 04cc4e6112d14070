// A CT's root filesystem: a copy-on-write overlay of the host's `/` whose upper layer lives in
// DIR/cts/VMID/upper (so it persists across simulator restarts and goes with destroy). The lower layer is
// an idmapped mount of `/`, so host root's files look owned by CT root and can be copied up; the CT's
// processes run as host ids ID_BASE.. (PVE's unprivileged range). This module seeds the upper layer with
// what must differ from the host (its own shadow files, host key, /root, masks) and writes the shell part
// of the CT's boot, which runs as host root before the pivot into the overlay.
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { shQuote } from './quote';

const run = promisify(execFile);

/** Host uid/gid of CT root; CT ids 0..ID_COUNT-1 map to ID_BASE.. (as PVE's unprivileged CTs). */
export const ID_BASE = 100000;
export const ID_COUNT = 65536;

/** Directories whose host content a CT never sees: replaced by an empty directory in the upper layer. */
const OPAQUE_DIRS = ['root', 'home', 'var/tmp', 'var/backups', 'var/mail', 'var/spool/cron', 'var/log', 'etc/ssl/private'];
/** Host files a CT never sees (whiteouts); shadow and the ed25519 host key are replaced instead. */
const HIDDEN_FILES = ['etc/shadow-', 'etc/gshadow-', 'etc/security/opasswd', ...['rsa', 'ecdsa', 'dsa'].flatMap((k) => [`etc/ssh/ssh_host_${k}_key`, `etc/ssh/ssh_host_${k}_key.pub`])];
/** Host directories (Spyre's and the harness's data) covered by an empty read-only tmpfs at every boot. */
export const DEFAULT_HIDDEN = ['/work', '/var/lib/spyre', '/etc/spyre', '/srv/spyre'];

export interface RootfsPaths {
	upper: string;
	work: string;
	/** Mount point of the idmapped `/` (inside the CT's mount namespace only). */
	lower: string;
	/** Mount point of the overlay, pivoted into. */
	root: string;
}

export const rootfsPaths = (ctDir: string): RootfsPaths => ({
	upper: join(ctDir, 'upper'),
	work: join(ctDir, 'work'),
	lower: join(ctDir, 'lower'),
	root: join(ctDir, 'rootfs')
});

/**
 * True while the base layer under every CT is the host's `/`: then it is an ancestor of every CT's upper
 * dir, and overlayfs refuses a lower layer below another one (ELOOP, "overlapping lowerdir path"), so a
 * linked clone cannot stack its template's layer and gets a copy of it instead (clone-fs.ts). With a base
 * that is a template's own rootfs (not an ancestor of the state dir) the layers stack.
 */
export const BASE_IS_HOST_ROOT = true;

/**
 * The overlay's lower layers, top first: the upper dirs of the linked-clone bases (their CT dirs, nearest
 * first), then the base layer. A base's upper never changes once it is a template (ct-clone.ts).
 */
export function lowerLayers(lower: string, parentCtDirs: string[]): string[] {
	return [...(BASE_IS_HOST_ROOT ? [] : parentCtDirs.map((d) => rootfsPaths(d).upper)), lower];
}

/** /etc/hostname and /etc/hosts of a CT called `hostname` (written at create, and into a clone's own layer). */
export function hostnameFiles(hostname: string): { hostname: string; hosts: string } {
	return { hostname: `${hostname}\n`, hosts: `127.0.0.1\tlocalhost\n127.0.1.1\t${hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n` };
}

const mapId = (id: number): number => ID_BASE + Math.min(id, ID_COUNT - 1);

/** Make `rel` (and its parents) in the upper layer with the host directory's mode and mapped owner. */
function upperDir(upper: string, rel: string): string {
	let cur = upper;
	let host = '/';
	for (const part of rel.split('/').filter(Boolean)) {
		cur = join(cur, part);
		host = join(host, part);
		if (existsSync(cur)) continue;
		const st = existsSync(host) ? lstatSync(host) : undefined;
		mkdirSync(cur);
		chmodSync(cur, st?.isDirectory() ? st.mode & 0o7777 : 0o755);
		chownSync(cur, mapId(st?.uid ?? 0), mapId(st?.gid ?? 0));
	}
	return cur;
}

export function upperFile(upper: string, rel: string, content: string | Buffer, mode: number, gid = 0): void {
	const file = join(upperDir(upper, dirname(rel)), rel.split('/').pop() as string);
	writeFileSync(file, content, { mode });
	chmodSync(file, mode);
	chownSync(file, ID_BASE, mapId(gid));
}

function groupId(name: string): number {
	const line = readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
	return line ? Number(line.split(':')[2]) : 0;
}

/** Fresh shadow/gshadow for the users and groups the CT inherits: no password at all (key login only). */
function shadowFiles(): { shadow: string; gshadow: string } {
	const days = Math.floor(Date.now() / 86_400_000);
	const names = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l.includes(':')).map((l) => l.split(':'));
	const shadow = names('/etc/passwd').map(([name]) => `${name}:*:${days}:0:99999:7:::\n`).join('');
	const gshadow = names('/etc/group').map(([name, , , members]) => `${name}:*::${members ?? ''}\n`).join('');
	return { shadow, gshadow };
}

/** Seed a new CT's upper layer. `hostKey` is the CT's own ed25519 key (private part; `.pub` beside it). */
export async function prepareRootfs(ctDir: string, helper: string, o: { hostname: string; publicKeys: string; hostKey: string }): Promise<void> {
	const p = rootfsPaths(ctDir);
	for (const d of [p.upper, p.work, p.lower, p.root]) mkdirSync(d, { recursive: true });
	chmodSync(p.upper, 0o755);
	chownSync(p.upper, ID_BASE, ID_BASE);
	const opaque = OPAQUE_DIRS.filter((rel) => existsSync(join('/', rel))).map((rel) => upperDir(p.upper, rel));
	if (opaque.length > 0) await run(helper, ['opaque', ...opaque]);
	// apt and dpkg log here; the host's own logs stay hidden.
	upperDir(p.upper, 'var/log/apt');
	const whiteouts = HIDDEN_FILES.filter((rel) => existsSync(join('/', rel))).map((rel) => join(upperDir(p.upper, dirname(rel)), rel.split('/').pop() as string));
	if (whiteouts.length > 0) await run(helper, ['whiteout', ...whiteouts]);
	const { shadow, gshadow } = shadowFiles();
	const shadowGid = groupId('shadow');
	upperFile(p.upper, 'etc/shadow', shadow, 0o640, shadowGid);
	upperFile(p.upper, 'etc/gshadow', gshadow, 0o640, shadowGid);
	const names = hostnameFiles(o.hostname);
	upperFile(p.upper, 'etc/hostname', names.hostname, 0o644);
	upperFile(p.upper, 'etc/hosts', names.hosts, 0o644);
	upperFile(p.upper, 'etc/ssh/ssh_host_ed25519_key', readFileSync(o.hostKey), 0o600);
	upperFile(p.upper, 'etc/ssh/ssh_host_ed25519_key.pub', readFileSync(`${o.hostKey}.pub`), 0o644);
	chmodSync(upperDir(p.upper, 'root'), 0o700);
	upperDir(p.upper, 'root/.ssh');
	chmodSync(join(p.upper, 'root/.ssh'), 0o700);
	upperFile(p.upper, 'root/.ssh/authorized_keys', o.publicKeys, 0o600);
	// A fresh /etc/skel-style root: the shell rc files, as a new Debian CT has them.
	for (const f of ['.bashrc', '.profile']) if (existsSync(join('/etc/skel', f))) upperFile(p.upper, join('root', f), readFileSync(join('/etc/skel', f)), 0o644);
}

/** The checkout the simulator runs from: its `.demo/` holds Spyre's demo data and SSH key. */
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

/** Every directory a CT must not see: the defaults, the repo, the state dir, and the ones the simulator was told about. */
export function hiddenDirs(stateDir: string, extra: string[]): string[] {
	const all = [...DEFAULT_HIDDEN, REPO_ROOT, resolve(stateDir), ...extra.map((d) => resolve(d))];
	// /tmp, /root and /home are already private; the rest is masked only where it exists.
	return [...new Set(all)].filter((d) => !['/tmp', '/root', '/home'].some((p) => d === p || d.startsWith(`${p}/`)));
}

const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

/**
 * The shell part of a CT's boot (PID 1 of fresh mount/UTS/PID namespaces, host root, host filesystem):
 * mount the overlay and the CT's /proc, /dev, /run, /tmp, mask hidden dirs, then exec the helper, which
 * pivots into the overlay, listens on the CT's address and runs `sshd -i` as CT root per connection. `mnt` refuses a target whose path the CT turned into
 * a symlink in an earlier boot, so a CT cannot redirect a mount of its own boot onto a host path.
 */
export function bootScript(o: { ctDir: string; helper: string; hostname: string; hidden: string[]; sshdConfig: string; address: string; port: number; net?: { rules: string; batch: string }; parentCtDirs?: string[] }): string {
	const q = shQuote;
	const p = rootfsPaths(o.ctDir);
	// overlayfs splits its options on commas and lowerdir on colons; backslashes escape them.
	const bad = [o.ctDir, ...(o.parentCtDirs ?? [])].find((d) => /[,:\\\s]/.test(d));
	if (bad !== undefined) throw new Error(`the state dir cannot hold an overlay: no commas, colons, backslashes or spaces allowed in ${JSON.stringify(bad)}`);
	const R = q(p.root);
	const own = `uid=${ID_BASE},gid=${ID_BASE}`;
	return [
		'#!/bin/sh',
		'# Generated by pve-sim: boot of a simulated unprivileged CT (runs as host root, before the pivot).',
		'set -e',
		`R=${R}`,
		'mnt() { t="$R$1"; shift; [ -L "$t" ] && rm -f "$t"; mkdir -p "$t"; [ "$(realpath "$t")" = "$t" ] || { echo "pve-sim: refusing mount on $t" >&2; exit 1; }; mount "$@" "$t"; }',
		'mount --make-rprivate /',
		`hostname ${q(o.hostname)}`,
		`${q(o.helper)} idmap / ${q(p.lower)} ${ID_BASE} ${ID_COUNT}`,
		`mount -t overlay pve-sim-ct -o ${q(`lowerdir=${lowerLayers(p.lower, o.parentCtDirs ?? []).join(':')},upperdir=${p.upper},workdir=${p.work}`)} "$R"`,
		`mnt /proc -t proc -o nosuid,nodev,noexec pve-sim-proc`,
		`mnt /dev -t tmpfs -o nosuid,mode=0755,size=64k,${own} pve-sim-dev`,
		...DEVICES.map((d) => `touch "$R/dev/${d}"; mount --bind /dev/${d} "$R/dev/${d}"`),
		'mkdir -p "$R/dev/pts" "$R/dev/shm"',
		`mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=${ID_BASE + groupId('tty')} pve-sim-devpts "$R/dev/pts"`,
		`mount -t tmpfs -o nosuid,nodev,mode=1777,${own} pve-sim-shm "$R/dev/shm"`,
		'ln -s pts/ptmx "$R/dev/ptmx"; ln -s /proc/self/fd "$R/dev/fd"',
		'ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"',
		`mnt /run -t tmpfs -o nosuid,nodev,mode=0755,${own} pve-sim-run`,
		`mnt /tmp -t tmpfs -o nosuid,nodev,mode=1777,${own} pve-sim-tmp`,
		// sshd's privilege-separation dir must belong to (CT) root; /run/pve-sim to host root, read-only for the CT.
		'mkdir -p "$R/run/sshd" "$R/run/lock" "$R/run/pve-sim"',
		`chown ${ID_BASE}:${ID_BASE} "$R/run/sshd" "$R/run/lock"`,
		`cp ${q(o.sshdConfig)} "$R/run/pve-sim/sshd_config"`,
		...o.hidden.map((d) => `if [ -d "$R"${q(d)} ] && [ ! -L "$R"${q(d)} ]; then mnt ${q(d)} -t tmpfs -o ro,nosuid,nodev,mode=0755,size=4k pve-sim-hidden; fi`),
		// With a network namespace of its own: the simulator writes a line on stdin once eth0 is in it; the
		// filter goes on before the address (network.ts CtNetFiles). Still host root, before the pivot.
		...(o.net
			? [
					'read -r pve_sim_net || { echo "pve-sim: network setup failed" >&2; exit 1; }',
					`nft -f ${q(o.net.rules)}`,
					`ip -batch ${q(o.net.batch)}`
				]
			: []),
		`exec ${q(o.helper)} init "$R" ${ID_BASE} ${ID_COUNT} ${q(o.address)} ${o.port} /usr/sbin/sshd -i -e -f /run/pve-sim/sshd_config${o.net ? ' </dev/null' : ''}`,
		''
	].join('\n');
}
