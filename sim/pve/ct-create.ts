// CT create (`POST /nodes/{node}/lxc`): the synchronous checks in the real API's order (vmid, privileges,
// features, keys), the config and address, `lock: create` before the UPID is returned, and the vzcreate
// task (storage, template, root filesystem); a failed create removes the CT (pve-container API2/LXC.pm
// create_vm).
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ct from './containers';
import type { CtAddresses } from './ct-addresses';
import type { CtPower } from './ct-power';
import { randomMac } from './ct-view';
import { ApiError } from './http';
import { delay, fail, type Lxc } from './lxc';
import { featuresFormat, netFormat, parsePropertyString, printPropertyString, rootfsFormat, type Values } from './params';
import type { CtConfig, CtRecord, StateStore } from './state';
import { ensureTree, ostypeOf, storageByName, templateByVolid, templatePath } from './storage';
import type { TaskContext } from './tasks';

const MiB = 1024 ** 2;

export class CtCreate {
	private readonly store: StateStore;
	private readonly runtime: ct.CtRuntime;
	private readonly addresses: CtAddresses;

	constructor(
		private readonly lxc: Lxc,
		private readonly power: CtPower
	) {
		this.store = lxc.store;
		this.runtime = lxc.runtime;
		this.addresses = lxc.addresses;
	}

	async create(node: string, p: Values, tokenUser: string): Promise<string> {
		const vmid = Number(p.vmid);
		this.lxc.checkUnused(vmid);
		// Reserved synchronously so that two concurrent creates of one vmid cannot both pass.
		this.lxc.creating.add(vmid);
		try {
			return await this.createChecked(node, vmid, p, tokenUser);
		} finally {
			this.lxc.creating.delete(vmid);
		}
	}

	private async createChecked(node: string, vmid: number, p: Values, tokenUser: string): Promise<string> {
		const unprivileged = p.unprivileged === undefined ? 1 : Number(p.unprivileged);
		if (unprivileged === 0) throw new ApiError(403, `Permission check failed (/vms/${vmid}, VM.Allocate)`);
		let features: Record<string, string> | undefined;
		if (p.features !== undefined) {
			const parsed = parsePropertyString(featuresFormat, String(p.features));
			if (parsed.ok) features = parsed.values;
			const other = Object.entries(features ?? {}).some(([k, v]) => k !== 'nesting' && v !== '0' && v !== '');
			if (other && tokenUser !== 'root@pam') throw new ApiError(403, 'Permission check failed (changing feature flags (except nesting) is only allowed for root@pam)');
		}
		if (p['ssh-public-keys'] !== undefined && !(await ct.validatePublicKeys(String(p['ssh-public-keys'])))) throw fail('SSH public key validation error');

		const rootfsText = p.rootfs !== undefined ? String(p.rootfs) : `${p.storage ?? 'local'}:4`;
		const rootfs = parsePropertyString(rootfsFormat, rootfsText);
		if (!rootfs.ok) throw fail(rootfs.error);
		const [storageName, sizeText] = splitVolume(rootfs.values.volume);
		const hostname = String(p.hostname ?? `CT${vmid}`);
		const template = templateByVolid(this.runtime.templatesDir, String(p.ostemplate));
		const conf: CtConfig = {
			arch: 'amd64',
			cores: Number(p.cores ?? 1),
			hostname,
			memory: Number(p.memory ?? 512),
			// Set from the template's own os-release once it is extracted (createWork), as PVE does.
			ostype: 'unmanaged',
			swap: Number(p.swap ?? 512),
			unprivileged: 1
		};
		if (features) conf.features = printPropertyString(features);
		for (const k of ['onboot', 'tags', 'description', 'nameserver', 'searchdomain', 'protection', 'startup', 'timezone', 'cpulimit', 'cpuunits']) if (p[k] !== undefined) conf[k] = p[k];

		const net: Record<string, Record<string, string>> = {};
		for (const key of Object.keys(p)
			.filter((k) => /^net\d+$/.test(k))
			.sort()) {
			const parsed = parsePropertyString(netFormat, String(p[key]));
			if (!parsed.ok) throw fail(parsed.error);
			const v = { ...parsed.values };
			v.hwaddr = (v.hwaddr ?? randomMac()).toUpperCase();
			v.type = 'veth';
			net[key] = v;
			conf[key] = printPropertyString(v, 'name');
		}
		const first = net.net0 ?? Object.values(net)[0];
		const hwaddr = first?.hwaddr ?? randomMac();
		const { address, inet, useStatic, staticIp } = await this.addresses.plan(first);
		const rec: CtRecord = {
			vmid,
			node,
			conf,
			lock: 'create',
			address,
			inet,
			hwaddr,
			running: false,
			createdAt: Date.now()
		};
		rec.conf.rootfs = `${storageName}:vm-${vmid}-disk-0,size=${sizeText}G`;
		this.store.state.cts[String(vmid)] = rec;
		this.addresses.reserved.delete(address);
		this.store.save();
		const keys = p['ssh-public-keys'] === undefined ? '' : String(p['ssh-public-keys']);
		const startAfter = Number(p.start ?? 0) === 1;
		return this.lxc.runTask(
			node,
			'vzcreate',
			vmid,
			async (t) => {
				try {
					await this.createWork(t, rec, { storageName, sizeText, template, ostemplate: String(p.ostemplate), keys, staticIp, useStatic });
				} catch (err) {
					this.lxc.removeCt(vmid);
					throw err;
				}
				rec.lock = undefined;
				this.store.save();
				if (startAfter) setImmediate(() => void this.power.start(node, vmid).catch(() => undefined));
			},
			() => this.lxc.removeCt(vmid)
		);
	}

	private async createWork(
		t: TaskContext,
		rec: CtRecord,
		o: { storageName: string; sizeText: string; template: ReturnType<typeof templateByVolid>; ostemplate: string; keys: string; staticIp?: string; useStatic: boolean }
	): Promise<void> {
		const vmid = rec.vmid;
		const prefix = `unable to create CT ${vmid} - `;
		const storage = storageByName(o.storageName);
		if (!storage) throw new Error(`${prefix}storage '${o.storageName}' does not exist`);
		if (!storage.content.includes('rootdir')) throw new Error(`${prefix}storage '${o.storageName}' does not support container directories`);
		if (!/^\d+(\.\d+)?$/.test(o.sizeText)) throw new Error(`${prefix}unable to parse volume ID '${o.storageName}:${o.sizeText}'`);
		await delay(250);
		t.log(`  Logical volume "vm-${vmid}-disk-0" created.`);
		const blocks = Math.round(Number(o.sizeText) * 262_144);
		t.log(`Creating filesystem with ${blocks} 4k blocks and ${Math.round(blocks / 4)} inodes`);
		t.log(`Filesystem UUID: ${randomUUID()}`);
		t.log('Superblock backups stored on blocks: \n\t32768, 98304, 163840, 229376, 294912, 819200, 884736, 1605632');
		await delay(250);
		if (!o.template) throw new Error(`${prefix}volume '${o.ostemplate}' does not exist`);
		t.log(`extracting archive '${templatePath(o.template.volid)}'`);
		// The CT gets a copy-on-write layer over the template's tree instead of an extracted copy (rootfs.ts).
		const t0 = performance.now();
		const { tree, bytes } = await ensureTree(this.runtime.templatesDir, o.template);
		await delay(Math.max(0, 450 - (performance.now() - t0)));
		rec.rootfs = { template: o.template.volid, parents: [] };
		rec.conf.ostype = ostypeOf(tree);
		const mib = Math.round(bytes / MiB);
		t.log(`Total bytes read: ${bytes} (${mib}MiB, ${Math.round(mib / 1.8)}MiB/s)`);
		t.log('Detected container architecture: amd64');
		if (rec.conf.ostype === 'ubuntu' && !/nesting=1/.test(String(rec.conf.features ?? ''))) t.warn('Systemd 255 detected. You may need to enable nesting.');
		if (o.staticIp && !o.useStatic) t.log(`pve-sim: static address ${o.staticIp} is kept in net0; sshd listens on ${rec.address}`);
		t.log(`Creating SSH host key 'ssh_host_ed25519_key' - this may take some time ...`);
		const dir = ct.ctDir(this.runtime.stateDir, vmid);
		mkdirSync(dir, { recursive: true });
		writeFileSync(join(dir, 'node'), `${rec.node}\n`);
		const fp = await ct.prepareCt(this.runtime, vmid, String(rec.conf.hostname), o.keys, tree);
		t.log(
			`done: ${fp
				.replace(/ \(ED25519\)$/, '')
				.split(' ')
				.slice(1)
				.join(' ')}`
		);
		await delay(150);
	}
}

function splitVolume(volume: string): [string, string] {
	const i = volume.indexOf(':');
	return i < 0 ? [volume, ''] : [volume.slice(0, i), volume.slice(i + 1)];
}
