// Benchmark: CT create (start=1) -> SSH ready on the simulator, the way Spyre sees it: from the create call
// until `ssh root@ADDR true` succeeds at the address /interfaces reports. Reports p50/max against the issue's
// target (2.5 s) and what the CT's own network (namespace, veth, address, filter) adds, as measured by the
// simulator around that setup (control /state `netMs`).
import { rmSync } from 'node:fs';
import { controlGet, ctAddress, makeKey, pveRequest, ssh, startSim, waitTask, type RunningSim } from '../tests/helpers/sim';
import { percentile } from './lib/terminal-harness';
import { STANDARD_TEMPLATE } from '../tests/helpers/templates';

// Proxmox's own standard template (what a cluster has), not the test one.
const TEMPLATE = STANDARD_TEMPLATE;
const TARGET_MS = 2500;
const RUNS = 8;

export async function benchCtCreate(): Promise<Record<string, unknown>> {
	let sim: RunningSim | undefined;
	const key = await makeKey();
	try {
		sim = await startSim();
		const sj = sim.simJson;
		const total: number[] = [];
		const net: number[] = [];
		for (let i = 0; i < RUNS; i++) {
			const vmid = 200 + i;
			const t0 = performance.now();
			const r = await pveRequest<string>(sj, 'POST', '/nodes/pve/lxc', {
				form: { vmid, hostname: `bench-${vmid}`, ostemplate: TEMPLATE, rootfs: 'local-lvm:4', net0: 'name=eth0,bridge=vmbr0,ip=dhcp', 'ssh-public-keys': key.pub, start: 1 }
			});
			if (r.status !== 200) throw new Error(`create ${vmid}: ${r.status} ${r.statusText}`);
			await waitTask(sj, r.body?.data as string);
			let ready = false;
			while (!ready) {
				if (performance.now() - t0 > 30_000) throw new Error(`CT ${vmid} not SSH-ready within 30 s`);
				const addr = await ctAddress(sj, 'pve', vmid).catch(() => '');
				ready = addr !== '' && (await ssh(key.key, addr, sj.sshPort, 'true', 5000)).code === 0;
				if (!ready) await new Promise((res) => setTimeout(res, 50));
			}
			total.push(performance.now() - t0);
			const state = await controlGet<{ runtime: Record<string, { netMs?: number }> }>(sj, '/state');
			net.push(state.runtime[String(vmid)]?.netMs ?? 0);
		}
		const sorted = [...total].sort((a, b) => a - b);
		const netSorted = [...net].sort((a, b) => a - b);
		const p50 = Math.round(percentile(sorted, 50));
		return {
			runs: RUNS,
			createToSshReadyMs: { p50, max: Math.round(sorted.at(-1) ?? 0), all: total.map(Math.round) },
			networkSetupMs: { p50: Math.round(percentile(netSorted, 50)), max: netSorted.at(-1) ?? 0 },
			target: `create -> SSH ready <= ${TARGET_MS} ms (p50)`,
			met: p50 <= TARGET_MS
		};
	} finally {
		await sim?.stop();
		rmSync(key.dir, { recursive: true, force: true });
	}
}
