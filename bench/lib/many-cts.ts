// Many CTs on the simulator, fast: created through its API in parallel batches (stopped, so no sshd
// each), and some of them made Spyre's by inserting rows into Spyre's database, as adoption would. Used by
// the environments-page benchmark and the environments-scale e2e check.
import Database from 'better-sqlite3';
import { pveRequest, waitTask, type RunningSim } from '../../tests/helpers/sim';
import { TEST_TEMPLATE } from '../../tests/helpers/templates';

const TEMPLATE = TEST_TEMPLATE;

export interface MadeCt {
	vmid: number;
	node: string;
	name: string;
}

/** `count` CTs named `${prefix}${i}` (i zero-padded to `pad` digits), round-robin over `nodes`, vmids from 1000. */
export async function createCts(sim: RunningSim, opts: { count: number; nodes: string[]; prefix: string; pad?: number }): Promise<MadeCt[]> {
	const made: MadeCt[] = [];
	const batch = 25;
	for (let i = 0; i < opts.count; i += batch) {
		const jobs = [];
		for (let j = i; j < Math.min(opts.count, i + batch); j++) {
			const ct = { vmid: 1000 + j, node: opts.nodes[j % opts.nodes.length], name: `${opts.prefix}${String(j).padStart(opts.pad ?? 0, '0')}` };
			made.push(ct);
			jobs.push(
				pveRequest<string>(sim.simJson, 'POST', `/nodes/${ct.node}/lxc`, {
					form: { vmid: String(ct.vmid), ostemplate: TEMPLATE, hostname: ct.name, memory: '512', rootfs: 'local-lvm:4' }
				}).then((res) => {
					if (res.status !== 200) throw new Error(`create ${ct.vmid}: ${res.status} ${res.statusText}`);
					return waitTask(sim.simJson, res.body!.data, 120_000);
				})
			);
		}
		await Promise.all(jobs);
	}
	return made;
}

/** Make Spyre manage these CTs (rows as adopted, status stopped: the status poller corrects it). */
export function insertManaged(dbPath: string, cts: MadeCt[]): void {
	const db = new Database(dbPath);
	try {
		const insert = db.prepare(
			`INSERT INTO environments (id, hostname, node, vmid, origin, status, cores, memory_mb, disk_gb, created_at, updated_at)
			 VALUES (?, ?, ?, ?, 'adopted', 'stopped', 1, 512, 4, ?, ?)`
		);
		db.transaction(() => {
			for (const ct of cts) insert.run(`env-bench${ct.vmid}`, ct.name, ct.node, ct.vmid, Date.now(), Date.now());
		})();
	} finally {
		db.close();
	}
}
