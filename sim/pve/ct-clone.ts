// CT clone (`POST .../lxc/{vmid}/clone`) and template (`POST .../lxc/{vmid}/template`) with the checks,
// locks, tasks and texts of pve-container's API2/LXC.pm (clone_vm, template) unless a comment names
// another source. The files of a clone are clone-fs.ts's job.
import { makeCloneFs, hasUpperLayer } from './clone-fs';
import { randomMac } from './ct-view';
import { fail, type Lxc } from './lxc';
import { netFormat, parsePropertyString, printPropertyString, type Values } from './params';
import type { CtConfig, CtRecord } from './state';
import { storageByName } from './storage';
import { checkPrivilege, hasPrivilege, permissionDenied } from './token-acl';
import { templateTree } from './storage';

/** Config keys a clone does not inherit (snapshot bookkeeping, pending changes, the template flag). */
const NOT_CLONED = ['snapshots', 'parent', 'snaptime', 'snapstate', 'pending', 'template', 'lock'];

export class CtClone {
	constructor(
		private readonly lxc: Lxc,
		private readonly nodes: string[]
	) {}

	async clone(node: string, vmid: number, p: Values): Promise<string> {
		const f = this.lxc.faults;
		const newid = Number(p.newid);
		const pool = p.pool === undefined ? undefined : String(p.pool);
		// The method's permission check runs before its code: VM.Clone on the source, and VM.Allocate on the
		// new id or on the pool (an `or`, whose failure names nothing).
		checkPrivilege(f, `/vms/${vmid}`, 'VM.Clone');
		if (!hasPrivilege(f, `/vms/${newid}`, 'VM.Allocate') && !(pool !== undefined && hasPrivilege(f, `/pool/${pool}`, 'VM.Allocate'))) throw permissionDenied();
		// The simulator has no resource pools (RPCEnvironment check_pool_exist).
		if (pool !== undefined) throw permissionDenied(`pool '${pool}' does not exist`);
		let target = p.target === undefined ? undefined : String(p.target);
		if (target === node || target === 'localhost') target = undefined;
		// PVE::Cluster check_node_exists.
		if (target !== undefined && !this.nodes.includes(target)) throw fail(`no such cluster node '${target}'`);
		const storage = p.storage === undefined ? undefined : String(p.storage);
		if (storage !== undefined) {
			// PVE::Storage storage_config.
			const def = storageByName(storage);
			if (!def) throw fail(`storage '${storage}' does not exist`);
			if (target !== undefined && !def.shared) throw fail(`can't clone to non-shared storage '${storage}'`);
		}

		// set_lock: wait for the source's config lock, refuse a locked source.
		await this.lxc.acquire(vmid, () => this.lxc.checkLock(this.lxc.mustGet(node, vmid)));
		const src = this.lxc.mustGet(node, vmid);
		this.lxc.checkUnused(newid);
		this.lxc.creating.add(newid);
		try {
			return await this.cloneChecked(node, src, newid, p, target, storage);
		} finally {
			this.lxc.creating.delete(newid);
		}
	}

	private async cloneChecked(node: string, src: CtRecord, newid: number, p: Values, target: string | undefined, storage: string | undefined): Promise<string> {
		const f = this.lxc.faults;
		const vmid = src.vmid;
		const running = this.lxc.isRunning(src);
		// "Create a full copy of all disks. This is always done when you clone a normal CT. For CT
		// templates, we try to create a linked clone by default." (the `full` parameter's description)
		const full = p.full === undefined ? !src.conf.template : Number(p.full) === 1;
		if (storage !== undefined && !full) throw fail("parameter 'storage' not allowed for linked clones");
		const snapname = p.snapname === undefined ? undefined : String(p.snapname);
		const snap = snapname === undefined ? undefined : src.snapshots?.find((s) => s.name === snapname);
		if (snapname !== undefined && !snap) throw fail(`snapshot '${snapname}' does not exist`);
		const from: CtConfig = snap ? snap.conf : src.conf;

		const rootfs = String(from.rootfs ?? '');
		const volid = rootfs.split(',')[0];
		const sid = storage ?? volid.split(':')[0];
		const conf: CtConfig = {};
		// The checks run per config key in sorted order, as the real loop does (net0 before rootfs).
		for (const [key, value] of Object.entries(from).sort(([a], [b]) => (a < b ? -1 : 1))) {
			if (NOT_CLONED.includes(key) || /^unused\d+$/.test(key)) continue;
			if (key === 'rootfs') {
				checkPrivilege(f, `/storage/${sid}`, 'Datastore.AllocateSpace');
				if (full) {
					if (running && snapname === undefined) throw fail('Cannot do full clones on a running container without snapshots');
				} else if (!src.conf.template || snapname !== undefined || !hasUpperLayer(this.lxc.runtime.stateDir, vmid)) {
					// LVM-thin clones base volumes (and, on real PVE, snapshots); the simulator stacks layers on
					// a template only (PVE::Storage volume_has_feature 'clone').
					throw fail(`Linked clone feature for '${volid}' is not available`);
				}
				conf[key] = value;
			} else if (/^net\d+$/.test(key)) {
				// "always change MAC! address"
				const parsed = parsePropertyString(netFormat, String(value));
				if (!parsed.ok) throw fail(parsed.error);
				const net: Record<string, string> = { ...parsed.values, hwaddr: randomMac() };
				// PVE::GuestHelpers check_vnet_access: a plain bridge is in the `localnetwork` zone.
				if (net.bridge) checkPrivilege(f, `/sdn/zones/localnetwork/${net.bridge}`, 'SDN.Use');
				conf[key] = printPropertyString(net, 'name');
			} else conf[key] = value;
		}
		// Every simulated storage is local to its node.
		if (target !== undefined) throw fail(`can't clone CT to node '${target}' (CT uses local storage)`);
		if (p.hostname !== undefined) conf.hostname = p.hostname;
		if (p.description !== undefined) conf.description = p.description;

		const first = conf.net0 === undefined ? undefined : parsePropertyString(netFormat, String(conf.net0));
		const net0 = first?.ok ? first.values : undefined;
		const { address, inet } = await this.lxc.addresses.plan(net0);
		const base = src.rootfs ?? { template: '', parents: [] };
		const rec: CtRecord = {
			vmid: newid,
			node,
			conf,
			lock: 'create',
			address,
			inet,
			hwaddr: net0?.hwaddr ?? randomMac(),
			running: false,
			createdAt: Date.now(),
			rootfs: full ? { template: base.template, parents: [...base.parents] } : { template: base.template, parents: [vmid, ...base.parents] }
		};
		this.lxc.store.state.cts[String(newid)] = rec;
		this.lxc.addresses.reserved.delete(address);
		// The source holds lock `disk` until the task ends; the new CT holds `create`.
		src.lock = 'disk';
		this.lxc.store.save();

		const undo = () => {
			this.lxc.removeCt(newid);
			if (src.lock === 'disk') src.lock = undefined;
			this.lxc.store.save();
		};
		return this.lxc.runTask(
			node,
			'vzclone',
			vmid,
			async (t) => {
				try {
					t.log(full ? `create full clone of mountpoint rootfs (${volid})` : `create linked clone of mount point rootfs (${volid})`);
					await makeCloneFs({
						stateDir: this.lxc.runtime.stateDir,
						source: vmid,
						target: newid,
						node,
						hostname: String(conf.hostname ?? `CT${newid}`),
						snapname,
						linked: !full,
						tree: templateTree(this.lxc.runtime.templatesDir, base.template)
					});
					const size = /(?:^|,)size=([^,]+)/.exec(rootfs)?.[1];
					t.log(`  Logical volume "vm-${newid}-disk-0" created.`);
					rec.conf.rootfs = `${sid}:vm-${newid}-disk-0${size ? `,size=${size}` : ''}`;
				} catch (err) {
					undo();
					throw new Error(`clone failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
				}
				if (src.lock === 'disk') src.lock = undefined;
				rec.lock = undefined;
				this.lxc.store.save();
			},
			undo
		);
	}

	/**
	 * Convert a stopped CT without snapshots into a template. Answers null, not a UPID (the method returns
	 * undef after forking its `vztemplate` worker): clients watch the config's `template` or the task list.
	 */
	async template(node: string, vmid: number): Promise<null> {
		checkPrivilege(this.lxc.faults, `/vms/${vmid}`, 'VM.Allocate');
		const check = () => {
			const rec = this.lxc.mustGet(node, vmid);
			this.lxc.checkLock(rec);
			if ((rec.snapshots ?? []).length > 0) throw fail('unable to create template, because CT contains snapshots');
			if (rec.conf.template) throw fail("you can't convert a template to a template");
			if (this.lxc.isRunning(rec)) throw fail("you can't convert a CT to template if the CT is running");
		};
		await this.lxc.acquire(vmid, check);
		const rec = this.lxc.mustGet(node, vmid);
		this.lxc.runTask(node, 'vztemplate', vmid, async (t) => {
			// LVM-thin's create_base renames the volume and makes it read-only (pve-storage LvmThinPlugin).
			t.log(`  Renamed "vm-${vmid}-disk-0" to "base-${vmid}-disk-0" in volume group "pve"`);
			t.log(`  Logical volume pve/base-${vmid}-disk-0 changed.`);
			rec.conf.rootfs = String(rec.conf.rootfs ?? '').replace(`:vm-${vmid}-disk-0`, `:base-${vmid}-disk-0`);
			rec.conf.template = 1;
			this.lxc.store.save();
		});
		return null;
	}
}
