// A CT's root filesystem: a copy-on-write overlay over its template's extracted tree (storage.ts), whose
// upper layer lives in DIR/cts/VMID/upper (so it persists across simulator restarts and goes with destroy).
// The template tree is mounted idmapped, so its root-owned files look owned by CT root and can be copied
// up; the CT's processes run as host ids ID_BASE.. (PVE's unprivileged range). Nothing of the host's own
// filesystem is in a CT. This module seeds the upper layer with what PVE writes into a new CT (hostname,
// hosts, the CT's host key, root's authorized_keys), names the overlay's lower layers, and writes the shell
// part of the CT's boot, which runs as host root before the pivot into the overlay.
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { shQuote } from './quote';
import type { CtRootfs } from './state';
import { templateTree } from './storage';

/** Host uid/gid of CT root; CT ids 0..ID_COUNT-1 map to ID_BASE.. (as PVE's unprivileged CTs). */
export const ID_BASE = 100000;
export const ID_COUNT = 65536;

export interface RootfsPaths {
	upper: string;
	work: string;
	/** Mount point of the idmapped template tree (inside the CT's mount namespace only). */
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
 * The overlay's lower layers, top first: the upper dirs of the CT's linked-clone parents (nearest first;
 * they live beside this CT's dir as DIR/cts/PARENT/upper and are already in CT ids), then the template's
 * tree (host ids, mounted idmapped by the boot). A clone sets `rec.rootfs.parents`.
 */
export function lowerLayers(ctDir: string, rec: { rootfs: CtRootfs }, templatesDir: string): string[] {
	const cts = dirname(ctDir);
	return [...rec.rootfs.parents.map((vmid) => join(cts, String(vmid), 'upper')), templateTree(templatesDir, rec.rootfs.template)];
}

/** /etc/hostname and /etc/hosts of a CT called `hostname` (written at create, and into a clone's own layer). */
export function hostnameFiles(hostname: string): { hostname: string; hosts: string } {
	return { hostname: `${hostname}\n`, hosts: `127.0.0.1\tlocalhost\n127.0.1.1\t${hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n` };
}

const mapId = (id: number): number => ID_BASE + Math.min(id, ID_COUNT - 1);

/** Make `rel` (and its parents) in the upper layer with the lower directory's mode and mapped owner. */
function upperDir(upper: string, lower: string, rel: string): string {
	let cur = upper;
	let low = lower;
	for (const part of rel.split('/').filter(Boolean)) {
		cur = join(cur, part);
		low = join(low, part);
		if (existsSync(cur)) continue;
		const st = existsSync(low) ? lstatSync(low) : undefined;
		mkdirSync(cur);
		chmodSync(cur, st?.isDirectory() ? st.mode & 0o7777 : 0o755);
		chownSync(cur, mapId(st?.uid ?? 0), mapId(st?.gid ?? 0));
	}
	return cur;
}

export function upperFile(upper: string, lower: string, rel: string, content: string | Buffer, mode: number): void {
	const file = join(upperDir(upper, lower, dirname(rel)), rel.split('/').pop() as string);
	writeFileSync(file, content, { mode });
	chmodSync(file, mode);
	chownSync(file, ID_BASE, ID_BASE);
}

/** A group's id in the template's /etc/group (the CT's own ids, not the host's). */
function groupId(tree: string, name: string): number {
	let text = '';
	try {
		text = readFileSync(join(tree, 'etc/group'), 'utf8');
	} catch {
		/* no group file: root's group */
	}
	const line = text.split('\n').find((l) => l.startsWith(`${name}:`));
	return line ? Number(line.split(':')[2]) : 0;
}

/**
 * Seed a new CT's upper layer over `tree` (its template's tree) with what PVE writes at create. `hostKey`
 * is the CT's own ed25519 key (private part; `.pub` beside it): the template ships none.
 */
export function prepareRootfs(ctDir: string, tree: string, o: { hostname: string; publicKeys: string; hostKey: string }): void {
	const p = rootfsPaths(ctDir);
	for (const d of [p.upper, p.work, p.lower, p.root]) mkdirSync(d, { recursive: true });
	chmodSync(p.upper, 0o755);
	chownSync(p.upper, ID_BASE, ID_BASE);
	const names = hostnameFiles(o.hostname);
	upperFile(p.upper, tree, 'etc/hostname', names.hostname, 0o644);
	upperFile(p.upper, tree, 'etc/hosts', names.hosts, 0o644);
	upperFile(p.upper, tree, 'etc/ssh/ssh_host_ed25519_key', readFileSync(o.hostKey), 0o600);
	upperFile(p.upper, tree, 'etc/ssh/ssh_host_ed25519_key.pub', readFileSync(`${o.hostKey}.pub`), 0o644);
	upperDir(p.upper, tree, 'root/.ssh');
	chmodSync(join(p.upper, 'root/.ssh'), 0o700);
	upperFile(p.upper, tree, 'root/.ssh/authorized_keys', o.publicKeys, 0o600);
}

const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

/**
 * The shell part of a CT's boot (PID 1 of fresh mount/UTS/PID namespaces, host root, host filesystem):
 * mount the overlay over `lowers` (lowerLayers: the last, the template tree, idmapped) and the CT's /proc,
 * /dev, /run, /tmp, then exec the helper, which
 * pivots into the overlay, listens on the CT's address and runs `sshd -i` as CT root per connection. `mnt` refuses a target whose path the CT turned into
 * a symlink in an earlier boot, so a CT cannot redirect a mount of its own boot onto a host path.
 */
export function bootScript(o: {
	ctDir: string;
	helper: string;
	hostname: string;
	lowers: string[];
	sshdConfig: string;
	address: string;
	port: number;
	net?: { rules: string; batch: string };
}): string {
	const q = shQuote;
	const p = rootfsPaths(o.ctDir);
	// overlayfs splits its options on commas and lowerdir on colons; backslashes escape them.
	for (const dir of [o.ctDir, ...o.lowers])
		if (/[,:\\\s]/.test(dir)) throw new Error(`a path of this overlay cannot be given to overlayfs: no commas, colons, backslashes or spaces allowed in ${JSON.stringify(dir)}`);
	const tree = o.lowers.at(-1);
	if (!tree) throw new Error('a CT needs a template tree as its lowest layer');
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
		`${q(o.helper)} idmap ${q(tree)} ${q(p.lower)} ${ID_BASE} ${ID_COUNT}`,
		`mount -t overlay pve-sim-ct -o ${q(`lowerdir=${[...o.lowers.slice(0, -1), p.lower].join(':')},upperdir=${p.upper},workdir=${p.work}`)} "$R"`,
		`mnt /proc -t proc -o nosuid,nodev,noexec pve-sim-proc`,
		`mnt /dev -t tmpfs -o nosuid,mode=0755,size=64k,${own} pve-sim-dev`,
		...DEVICES.map((d) => `touch "$R/dev/${d}"; mount --bind /dev/${d} "$R/dev/${d}"`),
		'mkdir -p "$R/dev/pts" "$R/dev/shm"',
		`mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=${ID_BASE + groupId(tree, 'tty')} pve-sim-devpts "$R/dev/pts"`,
		`mount -t tmpfs -o nosuid,nodev,mode=1777,${own} pve-sim-shm "$R/dev/shm"`,
		'ln -s pts/ptmx "$R/dev/ptmx"; ln -s /proc/self/fd "$R/dev/fd"',
		'ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"',
		`mnt /run -t tmpfs -o nosuid,nodev,mode=0755,${own} pve-sim-run`,
		`mnt /tmp -t tmpfs -o nosuid,nodev,mode=1777,${own} pve-sim-tmp`,
		// sshd's privilege-separation dir must belong to (CT) root; /run/pve-sim to host root, read-only for the CT.
		'mkdir -p "$R/run/sshd" "$R/run/lock" "$R/run/pve-sim"',
		`chown ${ID_BASE}:${ID_BASE} "$R/run/sshd" "$R/run/lock"`,
		`cp ${q(o.sshdConfig)} "$R/run/pve-sim/sshd_config"`,
		// With a network namespace of its own: the simulator writes a line on stdin once eth0 is in it; the
		// filter goes on before the address (network.ts CtNetFiles). Still host root, before the pivot.
		...(o.net ? ['read -r pve_sim_net || { echo "pve-sim: network setup failed" >&2; exit 1; }', `nft -f ${q(o.net.rules)}`, `ip -batch ${q(o.net.batch)}`] : []),
		`exec ${q(o.helper)} init "$R" ${ID_BASE} ${ID_COUNT} ${q(o.address)} ${o.port} /usr/sbin/sshd -i -e -f /run/pve-sim/sshd_config${o.net ? ' </dev/null' : ''}`,
		''
	].join('\n');
}
