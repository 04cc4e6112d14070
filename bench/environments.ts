// Benchmark: the environments page with 300 CTs across 3 simulated nodes. Reports the server time to
// render /environments (time to the full response over loopback, after warm-up) and the number of Proxmox
// API calls one page load and one status refresh make, counted by the simulator itself.
import Database from 'better-sqlite3';
import path from 'node:path';
import { control, controlGet, pveRequest, startSim, waitTask, type RunningSim } from '../tests/helpers/sim';
import { setupAdmin, startSpyre, type RunningSpyre } from '../tests/helpers/spyre';

const CTS = 300;
const NODES = ['pve', 'pve2', 'pve3'];
const MANAGED = 200;
const LOADS = 30;
const TEMPLATE = 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst';

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function createCts(sim: RunningSim): Promise<Array<{ vmid: number; node: string; name: string }>> {
	const made: Array<{ vmid: number; node: string; name: string }> = [];
	const batch = 25;
	for (let i = 0; i < CTS; i += batch) {
		const jobs = [];
		for (let j = i; j < Math.min(CTS, i + batch); j++) {
			const vmid = 1000 + j;
			const node = NODES[j % NODES.length];
			const name = `bench-${j}`;
			made.push({ vmid, node, name });
			jobs.push(
				pveRequest<string>(sim.simJson, 'POST', `/nodes/${node}/lxc`, {
					form: { vmid: String(vmid), ostemplate: TEMPLATE, hostname: name, memory: '512', rootfs: 'local-lvm:4' }
				}).then((res) => {
					if (res.status !== 200) throw new Error(`create ${vmid}: ${res.status} ${res.statusText}`);
					return waitTask(sim.simJson, res.body!.data, 120_000);
				})
			);
		}
		await Promise.all(jobs);
	}
	return made;
}

async function simCalls(sim: RunningSim): Promise<Record<string, number>> {
	return controlGet<Record<string, number>>(sim.simJson, '/requests');
}

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
	const out: Record<string, number> = {};
	for (const [k, v] of Object.entries(after)) {
		const d = v - (before[k] ?? 0);
		if (d > 0) out[k] = d;
	}
	return out;
}

const total = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);

export async function benchEnvironmentsPage(): Promise<Record<string, unknown>> {
	let sim: RunningSim | undefined;
	let spyre: RunningSpyre | undefined;
	try {
		sim = await startSim({ nodes: NODES });
		const t0 = Date.now();
		const cts = await createCts(sim);
		const setupMs = Date.now() - t0;
		// Give the status poller no say in the counts: it is switched off for the measurement and driven below.
		spyre = await startSpyre({ mode: 'built', simJson: sim.simJson, env: { SPYRE_POLL_MS: '0' } });
		const cookie = await setupAdmin(spyre.url, 'bench', 'bench-password-1');
		// Spyre manages 200 of the 300 CTs; the rest show as unmanaged.
		const db = new Database(path.join(spyre.dataDir, 'spyre.db'));
		const insert = db.prepare(
			`INSERT INTO environments (id, hostname, node, vmid, origin, status, cores, memory_mb, disk_gb, created_at, updated_at)
			 VALUES (?, ?, ?, ?, 'adopted', 'stopped', 1, 512, 4, ?, ?)`
		);
		db.transaction(() => {
			for (const ct of cts.slice(0, MANAGED)) insert.run(`env-bench${ct.vmid}`, ct.name, ct.node, ct.vmid, Date.now(), Date.now());
		})();
		db.close();

		const load = async () => {
			const start = performance.now();
			const res = await fetch(`${spyre!.url}/environments`, { headers: { cookie } });
			const body = await res.text();
			const ms = performance.now() - start;
			if (res.status !== 200 || !body.includes('bench-199')) throw new Error(`page load failed: ${res.status}`);
			return { ms, bytes: body.length };
		};
		for (let i = 0; i < 5; i++) await load(); // warm-up (JIT, node cache)

		const before = await simCalls(sim);
		const one = await load();
		const perLoad = diff(await simCalls(sim), before);

		const times: number[] = [];
		for (let i = 0; i < LOADS; i++) times.push((await load()).ms);
		times.sort((a, b) => a - b);

		const beforeRefresh = await simCalls(sim);
		const api = await fetch(`${spyre.url}/api/environments`, { headers: { cookie } });
		const inventory = (await api.json()) as { environments: unknown[]; unmanaged: unknown[]; vms: unknown[] };
		const perRefresh = diff(await simCalls(sim), beforeRefresh);

		await control(sim.simJson, { reset: true });
		return {
			cts: CTS,
			nodes: NODES.length,
			managed: inventory.environments.length,
			unmanaged: inventory.unmanaged.length,
			vms: inventory.vms.length,
			setupSeconds: Math.round(setupMs / 100) / 10,
			pageBytes: one.bytes,
			renderMs: { p50: +percentile(times, 50).toFixed(1), p95: +percentile(times, 95).toFixed(1), max: +times[times.length - 1].toFixed(1) },
			proxmoxCallsPerPageLoad: { total: total(perLoad), ...perLoad },
			proxmoxCallsPerStatusRefresh: { total: total(perRefresh), ...perRefresh },
			target: 'one /cluster/resources call per load, render p50 < 100 ms'
		};
	} finally {
		await spyre?.stop();
		await sim?.stop();
	}
}
