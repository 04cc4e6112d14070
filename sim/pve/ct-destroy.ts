// CT destroy (`DELETE /nodes/{node}/lxc/{vmid}`): protection, lock and running checks (sync 500s; `force`
// stops a running CT first), then the vzdestroy task removes the CT's record, address and files.
import { delay, fail, type Lxc } from './lxc';
import type { Values } from './params';

export class CtDestroy {
	constructor(private readonly lxc: Lxc) {}

	async destroy(node: string, vmid: number, p: Values): Promise<string> {
		const force = Number(p.force ?? 0) === 1;
		const check = () => {
			const rec = this.lxc.mustGet(node, vmid);
			this.lxc.checkLock(rec);
			if (Number(rec.conf.protection ?? 0) === 1) throw fail(`can't remove CT ${vmid} - protection mode enabled`);
			if (this.lxc.isRunning(rec) && !force) throw fail(`unable to destroy CT ${vmid} - container is running`);
		};
		await this.lxc.acquire(vmid, check);
		const rec = this.lxc.mustGet(node, vmid);
		return this.lxc.runTask(node, 'vzdestroy', vmid, async (t) => {
			// Its linked clones read the template's layer. (pve-storage vdisk_free refuses this for storages
			// that track clones; real LVM-thin would let the base go, see docs/simulator.md.)
			if (rec.conf.template && this.lxc.layerUsers(vmid).length > 0) throw new Error(`base volume 'base-${vmid}-disk-0' is still in use by linked clones`);
			if (this.lxc.isRunning(rec)) await this.lxc.halt(rec);
			await delay(200);
			t.log(`  Logical volume "${rec.conf.template ? 'base' : 'vm'}-${vmid}-disk-0" successfully removed.`);
			if (Number(p.purge ?? 0) === 1) t.log(`purging CT ${vmid} from related configurations..`);
			this.lxc.removeCt(vmid);
			this.lxc.forget(vmid);
		});
	}
}
