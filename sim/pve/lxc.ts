// CT semantics: create/start/stop/shutdown/destroy with the real synchronous checks, locks and task
// flows (quirks 1-6 of PROXMOX-API.md), status rows, configs and /interfaces. Owns the in-memory
// runtime of each CT (init PID, busy task); delegates processes to containers.ts and logs to tasks.ts.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import * as ct from './containers';
import { interfacesFault, takeFault, type Faults } from './control';
import { ApiError } from './http';
import { featuresFormat, isIpv4, netFormat, parsePropertyString, printPropertyString, rootfsFormat, type Values } from './params';
import { inCidr, planAddress, type CtNet, type SimNetwork } from './network';
import { intToIp, ipToInt, type CtConfig, type CtRecord, type StateStore } from './state';
import { lowerLayers } from './rootfs';
import { ensureTree, listTemplates, ostypeOf, storageByName, templateByVolid, templatePath } from './storage';
import type { TaskContext, Tasks } from './tasks';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
/** How long a brand-new CT shows `status:"unknown"` in /cluster/resources (quirk of real PVE). */
export const UNKNOWN_STATUS_MS = 1000;

interface Runtime {
	initPid?: number;
	process?: ChildProcess;
	busy?: Promise<unknown>;
	memCache?: { at: number; bytes: number };
	/** Network setup time of the last start (control /state shows it; benchmarks report it). */
	netMs?: number;
}

const fail = (msg: string): ApiError => new ApiError(500, msg);
const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Lxc {
	private readonly rt = new Map<number, Runtime>();
	private readonly creating = new Set<number>();
	private readonly reserved = new Set<string>();

	constructor(
		private readonly store: StateStore,
		private readonly tasks: Tasks,
		private readonly faults: Faults,
		private readonly runtime: ct.CtRuntime,
		/** The node's bridge; undefined in non-root mode, where CTs share the host's network on loopback. */
		private readonly net?: SimNetwork
	) {}

	private r(vmid: number): Runtime {
		let x = this.rt.get(vmid);
		if (!x) this.rt.set(vmid, (x = {}));
		return x;
	}

	// ---- status ----

	isRunning(rec: CtRecord): boolean {
		const x = this.rt.get(rec.vmid);
		return rec.running && !!x?.initPid && ct.isAliveInit(x.initPid);
	}

	initPid(vmid: number): number | undefined {
		return this.rt.get(vmid)?.initPid;
	}

	netMs(vmid: number): number | undefined {
		return this.rt.get(vmid)?.netMs;
	}

	private memory(rec: CtRecord): number {
		const x = this.r(rec.vmid);
		if (!x.initPid) return 0;
		if (!x.memCache || Date.now() - x.memCache.at > 1000) x.memCache = { at: Date.now(), bytes: ct.ctMemory(x.initPid) };
		return x.memCache.bytes;
	}

	/** One row of /nodes/{node}/lxc (also the base of status/current and /cluster/resources). */
	row(rec: CtRecord): Record<string, unknown> {
		const running = this.isRunning(rec);
		const uptime = running && rec.startedAt ? Math.floor((Date.now() - rec.startedAt) / 1000) : 0;
		const row: Record<string, unknown> = {
			vmid: rec.vmid,
			type: 'lxc',
			status: running ? 'running' : 'stopped',
			name: String(rec.conf.hostname),
			cpus: Number(rec.conf.cores ?? 1),
			maxmem: Number(rec.conf.memory ?? 512) * MiB,
			mem: running ? this.memory(rec) : 0,
			maxswap: Number(rec.conf.swap ?? 512) * MiB,
			swap: 0,
			maxdisk: diskBytes(rec.conf),
			disk: running ? Math.min(diskBytes(rec.conf), 812 * MiB + rec.vmid * 4096) : 0,
			uptime,
			cpu: running ? Math.round((0.0011 + (rec.vmid % 7) / 1000) * 10_000) / 10_000 : 0,
			netin: running ? uptime * 211 : 0,
			netout: running ? uptime * 97 : 0,
			diskread: running ? 31_457_280 : 0,
			diskwrite: running ? 4_096 * (uptime + 1) : 0
		};
		if (rec.conf.tags) row.tags = rec.conf.tags;
		if (rec.lock) row.lock = rec.lock;
		if (rec.conf.template) row.template = 1;
		if (running) row.pid = this.initPid(rec.vmid);
		return row;
	}

	listOnNode(node: string): Record<string, unknown>[] {
		return Object.values(this.store.state.cts)
			.filter((c) => c.node === node)
			.map((c) => this.row(c));
	}

	/** Config file lookup the way the API does it: the CT must live on the node in the path. */
	mustGet(node: string, vmid: number): CtRecord {
		const rec = this.store.ct(vmid);
		if (!rec || rec.node !== node) throw fail(`Configuration file 'nodes/${node}/lxc/${vmid}.conf' does not exist`);
		return rec;
	}

	config(node: string, vmid: number): Record<string, unknown> {
		const rec = this.mustGet(node, vmid);
		const out: Record<string, unknown> = { ...rec.conf };
		if (rec.lock) out.lock = rec.lock;
		const text = Object.keys(out)
			.sort()
			.map((k) => `${k}: ${out[k]}`)
			.join('\n');
		out.digest = createHash('sha1').update(text).digest('hex');
		return out;
	}

	/** `/interfaces`: generated here only (faults that change what it reports belong here too). */
	interfaces(node: string, vmid: number): unknown {
		const rec = this.mustGet(node, vmid);
		if (!this.isRunning(rec)) return null;
		const fault = interfacesFault(this.faults, vmid);
		if (fault?.mode === 'null') return null;
		// rec.inet is what the CT's eth0 really carries (network.ts sets it and CT root cannot change it).
		const [real, prefix] = rec.inet.split('/');
		// The spoof fault: a CT's root reporting another address (its real one stays as it is).
		const addr = this.faults.reportAddress[String(vmid)] ?? real;
		const lo = {
			name: 'lo',
			hwaddr: '00:00:00:00:00:00',
			inet: '127.0.0.1/8',
			inet6: '::1/128',
			'ip-addresses': [
				{ 'ip-address': '127.0.0.1', 'ip-address-type': 'inet', prefix: 8 },
				{ 'ip-address': '::1', 'ip-address-type': 'inet6', prefix: 128 }
			]
		};
		if (fault?.mode === 'noeth0') return [lo];
		const ll = linkLocal(rec.hwaddr);
		const eth0: Record<string, unknown> = {
			name: 'eth0',
			hwaddr: rec.hwaddr.toLowerCase(),
			inet6: `${ll}/64`,
			'ip-addresses': [{ 'ip-address': ll, 'ip-address-type': 'inet6', prefix: 64 }]
		};
		if (fault?.mode !== 'noinet') {
			eth0.inet = `${addr}/${prefix}`;
			(eth0['ip-addresses'] as unknown[]).unshift({ 'ip-address': addr, 'ip-address-type': 'inet', prefix: Number(prefix) });
		}
		return [lo, eth0];
	}

	// ---- locking ----

	/** Wait for another task on this CT to end, as lock_config does; then re-run the checks. */
	private async acquire(vmid: number, check: () => void): Promise<void> {
		check();
		const x = this.r(vmid);
		if (x.busy) {
			const timedOut = await Promise.race([x.busy.then(() => false), delay(this.faults.lockTimeoutMs).then(() => true)]);
			if (timedOut) throw fail(`can't lock file '/run/lock/lxc/pve-config-${vmid}.lock' - got timeout`);
			check();
		}
	}

	/**
	 * Run a CT task while holding its config lock. An injected failure (control `failNext`) replaces the
	 * work: the task fails with that message and nothing changes, except `onInjectedFailure` (create
	 * removes the half-made CT).
	 */
	private runTask(node: string, type: string, vmid: number, work: (t: TaskContext) => Promise<void>, onInjectedFailure?: () => void): string {
		const x = this.r(vmid);
		let release!: () => void;
		const done = new Promise<void>((res) => (release = res));
		x.busy = done;
		return this.tasks.start(node, type, String(vmid), async (t) => {
			try {
				const injected = takeFault(this.faults.failNext, type);
				const warning = takeFault(this.faults.warnNext, type);
				if (warning) t.warn(warning);
				if (injected) {
					await delay(300);
					onInjectedFailure?.();
					// Real vzcreate errors read `unable to create CT N - reason` (PROXMOX-API.md quirk 6).
					throw new Error(type === 'vzcreate' ? `unable to create CT ${vmid} - ${injected}` : injected);
				}
				await work(t);
			} finally {
				if (x.busy === done) x.busy = undefined;
				release();
			}
		});
	}

	checkLock(rec: CtRecord | undefined): void {
		if (rec?.lock) throw fail(`CT is locked (${rec.lock})`);
	}

	/**
	 * A CT task for another module (snapshots.ts): waits for the CT's config lock like every mutating
	 * call (`check` runs before and after the wait), then runs `work` as a task of `type`.
	 */
	async ctTask(node: string, type: string, vmid: number, check: () => void, work: (t: TaskContext) => Promise<void>): Promise<string> {
		await this.acquire(vmid, check);
		return this.runTask(node, type, vmid, work);
	}

	// ---- create ----

	async create(node: string, p: Values, tokenUser: string): Promise<string> {
		const vmid = Number(p.vmid);
		this.checkUnused(vmid);
		// Reserved synchronously so that two concurrent creates of one vmid cannot both pass.
		this.creating.add(vmid);
		try {
			return await this.createChecked(node, vmid, p, tokenUser);
		} finally {
			this.creating.delete(vmid);
		}
	}

	private checkUnused(vmid: number): void {
		const taken = this.store.vmidTaken(vmid);
		if (taken) throw fail(`${taken.type === 'lxc' ? 'CT' : 'VM'} ${vmid} already exists on node '${taken.node}'`);
		if (this.creating.has(vmid)) throw fail(`can't lock file '/run/lock/lxc/pve-config-${vmid}.lock' - got timeout`);
	}

	private async createChecked(node: string, vmid: number, p: Values, tokenUser: string): Promise<string> {
		const unprivileged = p.unprivileged === undefined ? 1 : Number(p.unprivileged);
		if (unprivileged === 0) throw new ApiError(403, `Permission check failed (/vms/${vmid}, VM.Allocate)`);
		let features: Record<string, string> | undefined;
		if (p.features !== undefined) {
			const parsed = parsePropertyString(featuresFormat, String(p.features));
			if (parsed.ok) features = parsed.values;
			const other = Object.entries(features ?? {}).some(([k, v]) => k !== 'nesting' && v !== '0' && v !== '');
			if (other && tokenUser !== 'root@pam')
				throw new ApiError(403, 'Permission check failed (changing feature flags (except nesting) is only allowed for root@pam)');
		}
		if (p['ssh-public-keys'] !== undefined && !(await ct.validatePublicKeys(String(p['ssh-public-keys']))))
			throw fail('SSH public key validation error');

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
		for (const k of ['onboot', 'tags', 'description', 'nameserver', 'searchdomain', 'protection', 'startup', 'timezone', 'cpulimit', 'cpuunits'])
			if (p[k] !== undefined) conf[k] = p[k];

		const net: Record<string, Record<string, string>> = {};
		for (const key of Object.keys(p).filter((k) => /^net\d+$/.test(k)).sort()) {
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
		const staticIp = first?.ip && first.ip !== 'dhcp' && first.ip !== 'manual' ? first.ip : undefined;
		let address: string;
		let inet: string;
		let useStatic = false;
		if (this.net) {
			let plan = planAddress(first, this.net.cidr, (ip) => this.dhcpFree(ip, true));
			if ('error' in plan) plan = planAddress(first, this.net.cidr, (ip) => this.dhcpFree(ip, false));
			if ('error' in plan) throw new ApiError(400, 'Parameter verification failed.', { net0: plan.error });
			this.reserved.add(plan.address);
			address = plan.address;
			inet = `${plan.address}/${plan.prefix}`;
			useStatic = !plan.dhcp;
		} else {
			const staticAddr = staticIp?.split('/')[0];
			useStatic = staticAddr !== undefined && /^127\./.test(staticAddr) && staticAddr !== '127.0.0.1' && isIpv4(staticAddr);
			address = useStatic ? (staticAddr as string) : await this.allocateAddress();
			inet = useStatic ? (staticIp as string) : `${address}/8`;
		}
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
		this.reserved.delete(address);
		this.store.save();
		const keys = p['ssh-public-keys'] === undefined ? '' : String(p['ssh-public-keys']);
		const startAfter = Number(p.start ?? 0) === 1;
		return this.runTask(node, 'vzcreate', vmid, async (t) => {
			try {
				await this.createWork(t, rec, { storageName, sizeText, template, ostemplate: String(p.ostemplate), keys, staticIp, useStatic });
			} catch (err) {
				this.removeCt(vmid);
				throw err;
			}
			rec.lock = undefined;
			this.store.save();
			if (startAfter) setImmediate(() => void this.start(node, vmid).catch(() => undefined));
		}, () => this.removeCt(vmid));
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
		if (rec.conf.ostype === 'ubuntu' && !/nesting=1/.test(String(rec.conf.features ?? '')))
			t.warn('Systemd 255 detected. You may need to enable nesting.');
		if (o.staticIp && !o.useStatic)
			t.log(`pve-sim: static address ${o.staticIp} is kept in net0; sshd listens on ${rec.address}`);
		t.log(`Creating SSH host key 'ssh_host_ed25519_key' - this may take some time ...`);
		const dir = ct.ctDir(this.runtime.stateDir, vmid);
		mkdirSync(dir, { recursive: true });
		writeFileSync(join(dir, 'node'), `${rec.node}\n`);
		const fp = await ct.prepareCt(this.runtime, vmid, String(rec.conf.hostname), o.keys, tree);
		t.log(`done: ${fp.replace(/ \(ED25519\)$/, '').split(' ').slice(1).join(' ')}`);
		await delay(150);
	}

	private removeCt(vmid: number): void {
		const gone = this.store.state.cts[String(vmid)];
		if (gone) this.released.set(gone.address, Date.now());
		delete this.store.state.cts[String(vmid)];
		this.store.save();
		ct.removeCtFiles(this.runtime.stateDir, vmid);
	}

	private addressTaken(ip: string): boolean {
		return this.reserved.has(ip) || Object.values(this.store.state.cts).some((c) => c.address === ip);
	}

	/** Released DHCP addresses, by time: like a DHCP server, hand them out again only when nothing else is free. */
	private readonly released = new Map<string, number>();

	private dhcpFree(ip: string, strict: boolean): boolean {
		if (this.addressTaken(ip)) return false;
		return !strict || Date.now() - (this.released.get(ip) ?? 0) > 60_000;
	}

	/** Legacy (non-root) mode: a free loopback address for the CT's sshd in the host's network. */
	private async allocateAddress(): Promise<string> {
		const used = new Set(Object.values(this.store.state.cts).map((c) => c.address));
		const st = this.store.state;
		const start = st.addrCursor;
		const end = ipToInt('127.254.255.254');
		for (let n = start, tries = 0; tries < 65536; n = n >= end ? ipToInt('127.77.0.2') : n + 1, tries++) {
			const ip = intToIp(n);
			const last = n % 256;
			if (last === 0 || last === 1 || last === 255 || ip.startsWith('127.77.255.') || used.has(ip) || this.reserved.has(ip)) continue;
			this.reserved.add(ip);
			const free = await ct.portFree(ip, this.runtime.sshPort);
			if (!free) continue;
			st.addrCursor = n + 1;
			return ip;
		}
		throw fail('no free loopback address left for a new CT');
	}

	// ---- start / stop / shutdown / destroy ----

	async start(node: string, vmid: number): Promise<string> {
		const rec = this.store.ct(vmid);
		const missing = !rec || rec.node !== node;
		if (missing) {
			// Quirk 4: the check happens inside the worker, so the caller gets a UPID whose task fails.
			return this.tasks.start(node, 'vzstart', String(vmid), async () => {
				throw new Error(`Configuration file 'nodes/${node}/lxc/${vmid}.conf' does not exist`);
			});
		}
		await this.acquire(vmid, () => {
			this.checkLock(this.store.ct(vmid));
			if (this.isRunning(rec)) throw fail(`CT ${vmid} already running`);
		});
		return this.runTask(node, 'vzstart', vmid, async () => {
			await this.bootCt(rec);
		});
	}

	/** The templates that really exist in the templates dir (storage `local`, content `vztmpl`). */
	templates(): ReturnType<typeof listTemplates> {
		return listTemplates(this.runtime.templatesDir);
	}

	/** A CT from before real templates (its upper layer was over the host's `/`): it stands on the newest Debian standard template from now on. */
	private adoptTemplate(rec: CtRecord): NonNullable<CtRecord['rootfs']> {
		const debian = listTemplates(this.runtime.templatesDir)
			.filter((t) => t.file.startsWith('debian-12-standard_'))
			.sort((a, b) => a.file.localeCompare(b.file, 'en', { numeric: true }))
			.pop();
		if (!debian) throw new Error(`startup for container '${rec.vmid}' failed - no Debian template in ${this.runtime.templatesDir} (run scripts/build-templates.sh)`);
		rec.rootfs = { template: debian.volid, parents: [] };
		this.store.save();
		return rec.rootfs;
	}

	/** Start the CT's processes (also used when the simulator restarts with CTs that were running). */
	async bootCt(rec: CtRecord): Promise<void> {
		await ct.killStaleInit(this.runtime.stateDir, rec.vmid);
		const net = this.net;
		const dir = ct.ctDir(this.runtime.stateDir, rec.vmid);
		const attach = net ? { files: net.files(dir), attach: (pid: number) => net.attach(rec.vmid, pid, dir, this.ctNet(rec)) } : undefined;
		const lowers = this.runtime.userns ? [] : lowerLayers(dir, { rootfs: rec.rootfs ?? this.adoptTemplate(rec) }, this.runtime.templatesDir);
		const started = await ct.startCt(this.runtime, rec.vmid, String(rec.conf.hostname), rec.address, lowers, attach);
		const x = this.r(rec.vmid);
		x.initPid = started.initPid;
		x.process = started.process;
		x.netMs = started.netMs;
		x.memCache = undefined;
		rec.running = true;
		rec.startedAt = Date.now();
		this.store.save();
	}

	/** eth0 of a CT: its address, MAC, and a default route (DHCP: the bridge's gateway; static: net0's `gw=`). */
	private ctNet(rec: CtRecord): CtNet {
		const net0 = rec.conf.net0 === undefined ? undefined : parsePropertyString(netFormat, String(rec.conf.net0));
		const v = net0?.ok ? net0.values : {};
		const dhcp = v.ip === undefined || v.ip === 'dhcp' || v.ip === 'manual';
		return { address: rec.address, prefix: Number(rec.inet.split('/')[1] ?? 24), hwaddr: rec.hwaddr, gw: dhcp ? this.net?.gateway : v.gw };
	}

	/** PID 1 of every running CT (for changes to every CT's network namespace). */
	runningInitPids(): number[] {
		return Object.values(this.store.state.cts)
			.filter((c) => this.isRunning(c))
			.map((c) => this.initPid(c.vmid) as number);
	}

	/**
	 * Simulator start with a bridge: a CT whose address is not on it (the simulator had to take another
	 * /24, or the CT comes from a loopback-only simulator) gets one there, keeping its host part if it can.
	 */
	adoptNetwork(log: (msg: string) => void): void {
		const net = this.net;
		if (!net) return;
		let changed = false;
		for (const rec of Object.values(this.store.state.cts)) {
			if (inCidr(rec.address, net.cidr)) continue;
			const moved = net.moveAddress(rec.address);
			const prefix = rec.inet.endsWith('/8') ? 24 : Number(rec.inet.split('/')[1] ?? 24);
			let address = moved;
			if (/^127\./.test(rec.address) || this.addressTaken(moved) || /\.(0|1|255)$/.test(moved)) {
				const plan = planAddress(undefined, net.cidr, (ip) => !this.addressTaken(ip));
				if ('error' in plan) throw new Error(plan.error);
				address = plan.address;
			}
			log(`pve-sim: CT ${rec.vmid}: address ${rec.address} is not on ${net.cidr}; it is now ${address}`);
			rec.address = address;
			rec.inet = `${address}/${prefix}`;
			changed = true;
		}
		if (changed) this.store.save();
	}

	async halt(rec: CtRecord): Promise<void> {
		const x = this.r(rec.vmid);
		await ct.stopCt(this.runtime.stateDir, rec.vmid, x.initPid);
		await this.net?.detach(rec.vmid);
		x.initPid = undefined;
		x.process = undefined;
		rec.running = false;
		rec.startedAt = undefined;
		this.store.save();
	}

	private checkSkiplock(p: Values, tokenUser: string): void {
		if (Number(p.skiplock ?? 0) === 1 && tokenUser !== 'root@pam')
			throw new ApiError(400, 'Parameter verification failed.', { skiplock: 'Only root may use this option.' });
	}

	async stop(node: string, vmid: number, p: Values, tokenUser: string): Promise<string> {
		this.checkSkiplock(p, tokenUser);
		const check = () => {
			const rec = this.store.ct(vmid);
			if (!rec || rec.node !== node || !this.isRunning(rec)) throw fail(`CT ${vmid} not running`);
			this.checkLock(rec);
		};
		await this.acquire(vmid, check);
		const rec = this.mustGet(node, vmid);
		return this.runTask(node, 'vzstop', vmid, () => this.halt(rec));
	}

	async shutdown(node: string, vmid: number, p: Values): Promise<string> {
		const check = () => {
			const rec = this.store.ct(vmid);
			if (!rec || rec.node !== node || !this.isRunning(rec)) throw fail(`CT ${vmid} not running`);
			this.checkLock(rec);
		};
		await this.acquire(vmid, check);
		const rec = this.mustGet(node, vmid);
		const timeout = Number(p.timeout ?? 60);
		const force = Number(p.forceStop ?? 0) === 1;
		return this.runTask(node, 'vzshutdown', vmid, async () => {
			const initPid = this.r(vmid).initPid;
			const deliver = !this.faults.ignoreShutdown.includes(vmid);
			const stopped = initPid ? await ct.shutdownCt(initPid, timeout * 1000, deliver) : true;
			if (!stopped && !force) throw new Error('container did not stop');
			await this.halt(rec);
		});
	}

	async destroy(node: string, vmid: number, p: Values): Promise<string> {
		const force = Number(p.force ?? 0) === 1;
		const check = () => {
			const rec = this.mustGet(node, vmid);
			this.checkLock(rec);
			if (Number(rec.conf.protection ?? 0) === 1) throw fail(`can't remove CT ${vmid} - protection mode enabled`);
			if (this.isRunning(rec) && !force) throw fail(`unable to destroy CT ${vmid} - container is running`);
		};
		await this.acquire(vmid, check);
		const rec = this.mustGet(node, vmid);
		return this.runTask(node, 'vzdestroy', vmid, async (t) => {
			if (this.isRunning(rec)) await this.halt(rec);
			await delay(200);
			t.log(`  Logical volume "vm-${vmid}-disk-0" successfully removed.`);
			if (Number(p.purge ?? 0) === 1) t.log(`purging CT ${vmid} from related configurations..`);
			this.removeCt(vmid);
			this.rt.delete(vmid);
		});
	}

	// ---- control actions and lifecycle ----

	setLock(vmid: number, lock: string | undefined): void {
		const rec = this.store.ct(vmid);
		if (!rec) throw new Error(`no CT ${vmid}`);
		rec.lock = lock;
		this.store.save();
	}

	killSshd(vmid: number): number {
		const rec = this.store.ct(vmid);
		const pid = this.initPid(vmid);
		if (!rec || !pid || !this.isRunning(rec)) throw new Error(`CT ${vmid} is not running`);
		return ct.killSessions(pid);
	}

	/** Simulator exit: stop every CT's processes but keep `running` so a restart brings them back. */
	async stopAll(): Promise<void> {
		await Promise.all(
			[...this.rt.entries()].map(async ([vmid, x]) => {
				if (x.initPid) await ct.stopCt(this.runtime.stateDir, vmid, x.initPid);
				await this.net?.detach(vmid);
				x.initPid = undefined;
			})
		);
	}

	/** Simulator start: CTs that were running before are started again. */
	async resume(log: (msg: string) => void): Promise<void> {
		await Promise.all(
			Object.values(this.store.state.cts)
				.filter((c) => c.running)
				.map(async (rec) => {
					try {
						await this.bootCt(rec);
					} catch (err) {
						rec.running = false;
						this.store.save();
						log(`pve-sim: could not restart CT ${rec.vmid}: ${err instanceof Error ? err.message : String(err)}`);
					}
				})
		);
	}
}

function splitVolume(volume: string): [string, string] {
	const i = volume.indexOf(':');
	return i < 0 ? [volume, ''] : [volume.slice(0, i), volume.slice(i + 1)];
}

export function diskBytes(conf: CtConfig): number {
	const m = /size=(\d+(?:\.\d+)?)([KMGT])?/.exec(String(conf.rootfs ?? ''));
	if (!m) return 4 * GiB;
	const unit = { K: 1024, M: MiB, G: GiB, T: 1024 * GiB }[m[2] ?? 'G'] ?? GiB;
	return Math.round(Number(m[1]) * unit);
}

/** Proxmox's OUI (BC:24:11) plus three random bytes. */
function randomMac(): string {
	return ['BC', '24', '11', ...[...randomBytes(3)].map((b) => b.toString(16).toUpperCase().padStart(2, '0'))].join(':');
}

/** EUI-64 link-local address derived from the MAC, as the kernel assigns it. */
function linkLocal(mac: string): string {
	const b = mac.split(':').map((h) => parseInt(h, 16));
	b[0] ^= 0x02;
	const words = [(b[0] << 8) | b[1], (b[2] << 8) | 0xff, (0xfe << 8) | b[3], (b[4] << 8) | b[5]];
	return `fe80::${words.map((w) => w.toString(16)).join(':')}`;
}
