// A clone's filesystem (the simulator's side of vzclone). A full clone copies the source's layer, or a
// snapshot's saved copy of it, with `cp -a --reflink=auto`: owners, modes, xattrs (overlay opaque marks)
// and whiteout device nodes come along, and a copy-on-write filesystem shares the blocks. A linked clone
// gets an empty upper layer over its base's (rootfs.ts lowerLayers). The clone's identity then goes into
// its own layer: its hostname files (real PVE rewrites them at each start, pve-container Setup
// set_hostname) and an empty machine-id (Setup post_clone_hook, clear_machine_id). The SSH host key stays
// the source's, as on Proxmox, where only a create makes host keys (Setup post_create_hook).
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ctDir, ctLayers } from './containers';
import { hostnameFiles, ID_BASE, rootfsPaths, upperFile } from './rootfs';
import { Snapshots } from './snapshots';

const run = promisify(execFile);

/** Files beside the layers that a CT needs to boot: its host key pair and the keys of its first boot. */
const CT_FILES: [string, number][] = [
	['ssh_host_ed25519_key', 0o600],
	['ssh_host_ed25519_key.pub', 0o644],
	['authorized_keys', 0o600]
];

export interface CloneFs {
	stateDir: string;
	source: number;
	target: number;
	node: string;
	hostname: string;
	/** Copy this snapshot's saved layer instead of the current one (full clones only). */
	snapname?: string;
	linked: boolean;
	/** The template tree under every layer (modes of the directories a file is written into come from it). */
	tree: string;
}

/** True when the CT has a layer a linked clone can stack on (not a legacy non-root CT). */
export const hasUpperLayer = (stateDir: string, vmid: number): boolean => existsSync(rootfsPaths(ctDir(stateDir, vmid)).upper);

export async function makeCloneFs(o: CloneFs): Promise<void> {
	const src = ctDir(o.stateDir, o.source);
	const dst = ctDir(o.stateDir, o.target);
	mkdirSync(dst, { recursive: true });
	// Like every CT dir: it holds a layer, so only host root may enter it.
	chmodSync(dst, 0o700);
	for (const [file, mode] of CT_FILES) {
		if (!existsSync(join(src, file))) continue;
		copyFileSync(join(src, file), join(dst, file));
		chmodSync(join(dst, file), mode);
	}
	writeFileSync(join(dst, 'node'), `${o.node}\n`);
	const p = rootfsPaths(dst);
	if (o.linked) {
		mkdirSync(p.upper);
		chmodSync(p.upper, 0o755);
		chownSync(p.upper, ID_BASE, ID_BASE);
	} else {
		const from = o.snapname ? Snapshots.dir(o.stateDir, o.source, o.snapname) : src;
		for (const layer of ctLayers(o.stateDir, o.source)) await run('cp', ['-a', '--reflink=auto', join(from, layer), join(dst, layer)]);
	}
	if (!existsSync(p.upper)) return;
	for (const d of [p.work, p.lower, p.root]) mkdirSync(d, { recursive: true });
	const names = hostnameFiles(o.hostname);
	upperFile(p.upper, o.tree, 'etc/hostname', names.hostname, 0o644);
	upperFile(p.upper, o.tree, 'etc/hosts', names.hosts, 0o644);
	upperFile(p.upper, o.tree, 'etc/machine-id', '', 0o444);
}
