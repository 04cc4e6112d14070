// CT power verbs: start (a missing CT gets a UPID whose task fails, as on real PVE), stop and shutdown
// (a missing or stopped CT: sync 500 `CT N not running`; shutdown past its timeout fails unless forceStop).
import * as ct from './containers';
import { ApiError } from './http';
import { fail, type Lxc } from './lxc';
import type { Values } from './params';

export class CtPower {
	constructor(private readonly lxc: Lxc) {}

	async start(node: string, vmid: number): Promise<string> {
		const rec = this.lxc.store.ct(vmid);
		const missing = !rec || rec.node !== node;
		if (missing) {
			// As on real PVE, the check happens inside the worker, so the caller gets a UPID whose task fails.
			return this.lxc.tasks.start(node, 'vzstart', String(vmid), async () => {
				throw new Error(`Configuration file 'nodes/${node}/lxc/${vmid}.conf' does not exist`);
			});
		}
		await this.lxc.acquire(vmid, () => {
			this.lxc.checkLock(this.lxc.store.ct(vmid));
			if (this.lxc.isRunning(rec)) throw fail(`CT ${vmid} already running`);
		});
		return this.lxc.runTask(node, 'vzstart', vmid, async () => {
			// Checked inside the worker (pve-container API2/LXC/Status.pm vm_start): the caller gets a UPID.
			if (rec.conf.template) throw new Error("you can't start a CT if it's a template");
			await this.lxc.bootCt(rec);
		});
	}

	/** Stop and shutdown: a missing or stopped CT is `CT N not running` (checked before the lock, as on PVE). */
	private runningCheck(node: string, vmid: number): () => void {
		return () => {
			const rec = this.lxc.store.ct(vmid);
			if (!rec || rec.node !== node || !this.lxc.isRunning(rec)) throw fail(`CT ${vmid} not running`);
			this.lxc.checkLock(rec);
		};
	}

	private checkSkiplock(p: Values, tokenUser: string): void {
		if (Number(p.skiplock ?? 0) === 1 && tokenUser !== 'root@pam') throw new ApiError(400, 'Parameter verification failed.', { skiplock: 'Only root may use this option.' });
	}

	async stop(node: string, vmid: number, p: Values, tokenUser: string): Promise<string> {
		this.checkSkiplock(p, tokenUser);
		await this.lxc.acquire(vmid, this.runningCheck(node, vmid));
		const rec = this.lxc.mustGet(node, vmid);
		return this.lxc.runTask(node, 'vzstop', vmid, () => this.lxc.halt(rec));
	}

	async shutdown(node: string, vmid: number, p: Values): Promise<string> {
		await this.lxc.acquire(vmid, this.runningCheck(node, vmid));
		const rec = this.lxc.mustGet(node, vmid);
		const timeout = Number(p.timeout ?? 60);
		const force = Number(p.forceStop ?? 0) === 1;
		return this.lxc.runTask(node, 'vzshutdown', vmid, async () => {
			const initPid = this.lxc.r(vmid).initPid;
			const deliver = !this.lxc.faults.ignoreShutdown.includes(vmid);
			const stopped = initPid ? await ct.shutdownCt(initPid, timeout * 1000, deliver) : true;
			if (!stopped && !force) throw new Error('container did not stop');
			await this.lxc.halt(rec);
		});
	}
}
