// CT snapshots: list, create, rollback, delete, and a snapshot's config.
// A snapshot is a copy of the CT's filesystem layer (DIR/cts/VMID/upper, or the legacy root/ and home/
// of a non-root simulator) in DIR/cts/VMID/snapshots/NAME plus the config of that moment. Tasks and the
// config lock come from lxc.ts; the texts are pve-container's (API2/LXC/Snapshot.pm, AbstractConfig).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ctDir, ctLayers } from './containers';
import { ApiError, paramError } from './http';
import type { CtView } from './ct-view';
import type { Lxc } from './lxc';
import type { Values } from './params';
import type { CtRecord, SnapshotRecord, StateStore } from './state';
import { storageByName } from './storage';

const run = promisify(execFile);
const fail = (msg: string): ApiError => new ApiError(500, msg);

/** A configuration id (pve-common `pve-configid`), at most 40 characters. */
export function snapnameError(name: string): string | null {
	if (name.length > 40) return 'value may only be 40 characters long';
	return /^[a-z][a-z0-9_-]+$/i.test(name) ? null : `invalid format - invalid configuration ID '${name}'`;
}

export class Snapshots {
	constructor(
		private readonly store: StateStore,
		private readonly lxc: Lxc,
		private readonly view: CtView,
		private readonly stateDir: string
	) {}

	private dir(vmid: number, name: string): string {
		return Snapshots.dir(this.stateDir, vmid, name);
	}

	/** Where snapshot NAME of CT VMID keeps its copy of the CT's layers (clone.ts copies from it too). */
	static dir(stateDir: string, vmid: number, name: string): string {
		return join(ctDir(stateDir, vmid), 'snapshots', name);
	}

	private layers(vmid: number): string[] {
		return ctLayers(this.stateDir, vmid);
	}

	private find(rec: CtRecord, name: string): SnapshotRecord {
		const snap = rec.snapshots?.find((s) => s.name === name);
		if (!snap) throw new Error(`snapshot '${name}' does not exist`);
		return snap;
	}

	list(node: string, vmid: number): Record<string, unknown>[] {
		const rec = this.lxc.mustGet(node, vmid);
		const rows: Record<string, unknown>[] = (rec.snapshots ?? []).map((s) => ({
			name: s.name,
			snaptime: s.snaptime,
			description: s.description,
			...(s.parent ? { parent: s.parent } : {})
		}));
		const digest = String(this.view.config(node, vmid).digest);
		rows.push({ name: 'current', digest, running: this.lxc.isRunning(rec) ? 1 : 0, description: 'You are here!', ...(rec.parent ? { parent: rec.parent } : {}) });
		return rows;
	}

	snapshotConfig(node: string, vmid: number, name: string): Record<string, unknown> {
		const rec = this.lxc.mustGet(node, vmid);
		const snap = rec.snapshots?.find((s) => s.name === name);
		if (!snap) throw fail(`snapshot '${name}' does not exist`);
		return { ...snap.conf, description: snap.description, snaptime: snap.snaptime, ...(snap.parent ? { parent: snap.parent } : {}) };
	}

	setDescription(node: string, vmid: number, name: string, description: string): void {
		const rec = this.lxc.mustGet(node, vmid);
		const snap = rec.snapshots?.find((s) => s.name === name);
		if (!snap) throw fail(`snapshot '${name}' does not exist`);
		snap.description = description;
		this.store.save();
	}

	async create(node: string, vmid: number, p: Values): Promise<string> {
		const name = String(p.snapname);
		const err = snapnameError(name);
		if (err) throw paramError({ snapname: err });
		if (name === 'current' || name === 'vzdump') throw fail(`unable to use snapshot name '${name}' (reserved name)`);
		const check = () => this.lxc.checkLock(this.lxc.mustGet(node, vmid));
		return this.lxc.ctTask(node, 'vzsnapshot', vmid, check, async (t) => {
			const rec = this.lxc.mustGet(node, vmid);
			// A template's layer must never change (its linked clones read it): AbstractConfig __snapshot_prepare.
			if (rec.conf.template) throw new Error("you can't take a snapshot if it's a template");
			if (rec.snapshots?.some((s) => s.name === name)) throw new Error(`snapshot name '${name}' already used`);
			const [storage] = String(rec.conf.rootfs ?? '').split(':');
			if (storageByName(storage)?.type === 'dir') throw new Error('snapshot feature is not available');
			await this.locked(rec, 'snapshot', async () => {
				const dest = this.dir(vmid, name);
				rmSync(dest, { recursive: true, force: true });
				mkdirSync(dest, { recursive: true });
				// cp -a keeps owners, modes, xattrs (overlay opaque marks) and whiteout device nodes.
				for (const layer of this.layers(vmid)) await run('cp', ['-a', join(ctDir(this.stateDir, vmid), layer), join(dest, layer)]);
				t.log(`  Logical volume "snap_vm-${vmid}-disk-0_${name}" created.`);
				(rec.snapshots ??= []).push({
					name,
					description: String(p.description ?? ''),
					snaptime: Math.floor(Date.now() / 1000),
					...(rec.parent ? { parent: rec.parent } : {}),
					conf: { ...rec.conf }
				});
				rec.parent = name;
			});
		});
	}

	async rollback(node: string, vmid: number, name: string, p: Values): Promise<string> {
		const check = () => this.lxc.checkLock(this.lxc.mustGet(node, vmid));
		return this.lxc.ctTask(node, 'vzrollback', vmid, check, async (t) => {
			const rec = this.lxc.mustGet(node, vmid);
			const snap = this.find(rec, name);
			if (this.lxc.isRunning(rec)) await this.lxc.halt(rec);
			await this.locked(rec, 'rollback', async () => {
				const dir = ctDir(this.stateDir, vmid);
				for (const layer of this.layers(vmid)) {
					rmSync(join(dir, layer), { recursive: true, force: true });
					await run('cp', ['-a', join(this.dir(vmid, name), layer), join(dir, layer)]);
				}
				// The overlay's work dir must not carry state from the layer that was just replaced.
				if (existsSync(join(dir, 'work'))) {
					rmSync(join(dir, 'work'), { recursive: true, force: true });
					mkdirSync(join(dir, 'work'));
				}
				t.log(`  Logical volume "vm-${vmid}-disk-0" successfully removed.`);
				t.log(`  Logical volume "vm-${vmid}-disk-0" created.`);
				rec.conf = { ...snap.conf };
				rec.parent = name;
			});
			if (Number(p.start ?? 0) === 1) await this.lxc.bootCt(rec);
		});
	}

	async remove(node: string, vmid: number, name: string): Promise<string> {
		const check = () => this.lxc.checkLock(this.lxc.mustGet(node, vmid));
		return this.lxc.ctTask(node, 'vzdelsnapshot', vmid, check, async (t) => {
			const rec = this.lxc.mustGet(node, vmid);
			const snap = this.find(rec, name);
			await this.locked(rec, 'snapshot-delete', async () => {
				rmSync(this.dir(vmid, name), { recursive: true, force: true });
				t.log(`  Logical volume "snap_vm-${vmid}-disk-0_${name}" successfully removed.`);
				// Children of the removed snapshot (and "current") now descend from its parent.
				for (const s of rec.snapshots ?? []) if (s.parent === name) s.parent = snap.parent;
				if (rec.parent === name) rec.parent = snap.parent;
				rec.snapshots = (rec.snapshots ?? []).filter((s) => s !== snap);
			});
		});
	}

	/** Hold the CT's config lock (`lock: snapshot` etc., visible in config and status) while `work` runs. */
	private async locked(rec: CtRecord, lock: string, work: () => Promise<void>): Promise<void> {
		rec.lock = lock;
		this.store.save();
		try {
			await work();
		} finally {
			rec.lock = undefined;
			this.store.save();
		}
	}
}
