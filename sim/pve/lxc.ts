// The CT core every CT verb shares: the in-memory runtime of each CT (init PID, busy task), the config
// lookup, the config lock and the task runner (with the real API's synchronous checks and locks), and
// booting/halting a CT's processes. The verbs live beside it: ct-create.ts, ct-power.ts, ct-destroy.ts,
// ct-view.ts (rows, config, /interfaces); addresses in ct-addresses.ts. Processes are containers.ts's job,
// task logs tasks.ts's.
import type { ChildProcess } from 'node:child_process';
import * as ct from './containers';
import { takeFault, type Faults } from './control';
import { CtAddresses } from './ct-addresses';
import { ApiError } from './http';
import { netFormat, parsePropertyString } from './params';
import type { CtNet, SimNetwork } from './network';
import type { CtRecord, StateStore } from './state';
import { lowerLayers } from './rootfs';
import { listTemplates } from './storage';
import type { TaskContext, Tasks } from './tasks';

export interface Runtime {
	initPid?: number;
	process?: ChildProcess;
	busy?: Promise<unknown>;
	memCache?: { at: number; bytes: number };
	/** Network setup time of the last start (control /state shows it; benchmarks report it). */
	netMs?: number;
}

export const fail = (msg: string): ApiError => new ApiError(500, msg);
export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Lxc {
	private readonly rt = new Map<number, Runtime>();
	/** VMIDs whose create is between its first check and its record (ct-create.ts). */
	readonly creating = new Set<number>();
	readonly addresses: CtAddresses;

	constructor(
		readonly store: StateStore,
		readonly tasks: Tasks,
		readonly faults: Faults,
		readonly runtime: ct.CtRuntime,
		/** The node's bridge; undefined in non-root mode, where CTs share the host's network on loopback. */
		readonly net?: SimNetwork
	) {
		this.addresses = new CtAddresses(store, runtime, net);
	}

	r(vmid: number): Runtime {
		let x = this.rt.get(vmid);
		if (!x) this.rt.set(vmid, (x = {}));
		return x;
	}

	/** Drop a destroyed CT's runtime entry. */
	forget(vmid: number): void {
		this.rt.delete(vmid);
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

	/** A new VMID (create, clone): not used by a CT or VM, and not being created (PVE::Cluster check_vmid_unused). */
	checkUnused(vmid: number): void {
		const taken = this.store.vmidTaken(vmid);
		if (taken) throw fail(`${taken.type === 'lxc' ? 'CT' : 'VM'} ${vmid} already exists on node '${taken.node}'`);
		if (this.creating.has(vmid)) throw fail(`can't lock file '/run/lock/lxc/pve-config-${vmid}.lock' - got timeout`);
	}

	/** CTs whose filesystem stacks on `vmid`'s layer (its linked clones, and full clones of those). */
	layerUsers(vmid: number): number[] {
		return Object.values(this.store.state.cts)
			.filter((c) => c.rootfs?.parents.includes(vmid))
			.map((c) => c.vmid);
	}

	/** Config file lookup the way the API does it: the CT must live on the node in the path. */
	mustGet(node: string, vmid: number): CtRecord {
		const rec = this.store.ct(vmid);
		if (!rec || rec.node !== node) throw fail(`Configuration file 'nodes/${node}/lxc/${vmid}.conf' does not exist`);
		return rec;
	}

	// ---- locking ----

	/** Wait for another task on this CT to end, as lock_config does; then re-run the checks. */
	async acquire(vmid: number, check: () => void): Promise<void> {
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
	runTask(node: string, type: string, vmid: number, work: (t: TaskContext) => Promise<void>, onInjectedFailure?: () => void): string {
		const x = this.r(vmid);
		let release!: () => void;
		const done = new Promise<void>((res) => (release = res));
		x.busy = done;
		return this.tasks.start(node, type, String(vmid), async (t) => {
			try {
				const injected = takeFault(this.faults.failNext, type);
				const warning = takeFault(this.faults.warnNext, type);
				const wait = takeFault(this.faults.delayNext, type);
				if (warning) t.warn(warning);
				if (wait) await delay(wait);
				if (injected) {
					await delay(300);
					onInjectedFailure?.();
					// Real vzcreate errors read `unable to create CT N - reason` (pve-container API2/LXC.pm create_vm).
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

	// ---- processes ----

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

	/** Forget a CT: its record, its address (released) and its files. */
	removeCt(vmid: number): void {
		const gone = this.store.state.cts[String(vmid)];
		if (gone) this.addresses.release(gone.address);
		delete this.store.state.cts[String(vmid)];
		this.store.save();
		ct.removeCtFiles(this.runtime.stateDir, vmid);
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
