// Benchmark: the environments page with many CTs across 3 simulated nodes (`--cts N`, default 1,000, the
// scale the targets are set for; 70 % of them managed by Spyre, the rest unmanaged). Reports the server
// time to render /environments (time to the full response over loopback, after warm-up) with its stages
// (from the page's Server-Timing header), the size of the first response, a search and the cards view,
// the number of Proxmox API calls one page load and one status refresh make (counted by the simulator
// itself), and the status poller's CPU time per poll on the Spyre process. `--profile FILE` writes a V8
// CPU profile of the server during the page loads (`npx tsx bench/lib/profile-summary.ts FILE` sums it up).
import path from 'node:path';
import { control, controlGet, pveRequest, startSim, type RunningSim } from '../tests/helpers/sim';
import { setupAdmin, startSpyre, type RunningSpyre } from '../tests/helpers/spyre';
import { createCts, insertManaged } from './lib/many-cts';

const NODES = ['pve', 'pve2', 'pve3'];

/** `--name value` from the command line (bench/run.ts leaves flags to the benchmarks). */
function flag(name: string): string | undefined {
	const i = process.argv.indexOf(`--${name}`);
	return i === -1 ? undefined : process.argv[i + 1];
}

function intFlag(name: string, fallback: number): number {
	const v = flag(name);
	if (v === undefined) return fallback;
	const n = Number(v);
	if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} wants a positive integer, got ${v}`);
	return n;
}

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round1 = (n: number) => Math.round(n * 10) / 10;

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

async function timedLoads(load: () => Promise<{ ms: number }>, n: number): Promise<{ p50: number; p95: number; max: number }> {
	const times: number[] = [];
	for (let i = 0; i < n; i++) times.push((await load()).ms);
	times.sort((a, b) => a - b);
	return { p50: round1(percentile(times, 50)), p95: round1(percentile(times, 95)), max: round1(times[times.length - 1]) };
}

/** Restart on the same data with a fast poller that logs its CPU time per poll; the median of `polls`. */
async function pollerCost(spyre: RunningSpyre, simJson: RunningSim['simJson'], polls: number, intervalMs: number): Promise<{ spyre: RunningSpyre; cpuMs: { p50: number; max: number } }> {
	await spyre.stop({ keepData: true });
	const next = await startSpyre({ mode: 'built', simJson, reuse: spyre, env: { SPYRE_POLL_MS: String(intervalMs), SPYRE_POLL_STATS: '1' } });
	const deadline = Date.now() + 30_000 + polls * intervalMs * 2;
	let samples: number[] = [];
	while (Date.now() < deadline) {
		samples = [...next.output().stdout.matchAll(/status poll: .* ([\d.]+) ms CPU/g)].map((m) => Number(m[1]));
		if (samples.length > polls) break;
		await new Promise((r) => setTimeout(r, 200));
	}
	// The first poll fills the poller's baseline (every row is compared for the first time): leave it out.
	const steady = samples.slice(1).sort((a, b) => a - b);
	if (steady.length === 0) throw new Error('the status poller logged no CPU figures (SPYRE_POLL_STATS)');
	return { spyre: next, cpuMs: { p50: round1(percentile(steady, 50)), max: round1(steady[steady.length - 1]) } };
}

export async function benchEnvironmentsPage(): Promise<Record<string, unknown>> {
	const CTS = intFlag('cts', 1000);
	const MANAGED = Math.round(CTS * 0.7);
	const LOADS = intFlag('loads', 30);
	const profile = flag('profile');
	let sim: RunningSim | undefined;
	let spyre: RunningSpyre | undefined;
	try {
		sim = await startSim({ nodes: NODES });
		const t0 = Date.now();
		const cts = await createCts(sim, { count: CTS, nodes: NODES, prefix: 'bench-' });
		const setupMs = Date.now() - t0;
		// Give the status poller no say in the counts: it is switched off for the page measurement.
		const env: Record<string, string> = { SPYRE_POLL_MS: '0' };
		if (profile) {
			env.NODE_OPTIONS = `--import ${path.resolve('bench/lib/cpu-profile.mjs')}`;
			env.SPYRE_CPU_PROFILE = path.resolve(profile);
		}
		spyre = await startSpyre({ mode: 'built', simJson: sim.simJson, env });
		const cookie = await setupAdmin(spyre.url, 'bench', 'bench-password-1');
		insertManaged(spyre.dbPath, cts.slice(0, MANAGED));
		const lastManaged = `bench-${MANAGED - 1}`;

		// The default page shows the first rows; a search for the last managed CT must find it.
		const load = async (query = '', expect = 'bench-0<') => {
			const start = performance.now();
			const res = await fetch(`${spyre!.url}/environments${query}`, { headers: { cookie } });
			const body = await res.text();
			const ms = performance.now() - start;
			if (res.status !== 200 || !body.includes(expect)) throw new Error(`page load ${query} failed: ${res.status}`);
			stages.push(Object.fromEntries([...(res.headers.get('server-timing') ?? '').matchAll(/(\w+);dur=([\d.]+)/g)].map((m) => [m[1], Number(m[2])])));
			stages.at(-1)!.total = ms;
			return { ms, bytes: Buffer.byteLength(body) };
		};
		let stages: Array<Record<string, number>> = [];
		const firstQuery = `?q=${lastManaged}`;
		for (let i = 0; i < 5; i++) await load(); // warm-up (JIT, node cache)
		for (let i = 0; i < 3; i++) await load(firstQuery, lastManaged);
		for (let i = 0; i < 3; i++) await load('?view=cards');

		const before = await simCalls(sim);
		const one = await load();
		const perLoad = diff(await simCalls(sim), before);
		stages = [];
		const renderMs = await timedLoads(() => load(), LOADS);
		const median = (k: string) => round1(percentile(stages.map((x) => x[k] ?? 0).sort((a, b) => a - b), 50));
		const breakdown = {
			proxmoxCall: median('proxmox'),
			mergeRows: median('merge'),
			filterAndPage: median('list'),
			rest: round1(median('total') - median('proxmox') - median('merge') - median('list')),
			note: 'medians in ms; proxmoxCall = GET /cluster/resources incl. JSON parse and validation; rest = hooks, layout, SSR, serialisation, transfer'
		};
		const simTimes: number[] = [];
		for (let i = 0; i < LOADS; i++) {
			const t = performance.now();
			await pveRequest(sim.simJson, 'GET', '/cluster/resources');
			simTimes.push(performance.now() - t);
		}
		simTimes.sort((a, b) => a - b);
		const searched = await load(firstQuery, lastManaged);
		const searchMs = await timedLoads(() => load(firstQuery, lastManaged), LOADS);
		const cards = await load('?view=cards');
		const cardsMs = await timedLoads(() => load('?view=cards'), LOADS);

		const beforeRefresh = await simCalls(sim);
		const api = await fetch(`${spyre.url}/api/environments`, { headers: { cookie } });
		const inventory = (await api.json()) as { environments: unknown[]; unmanaged: unknown[]; vms: unknown[] };
		const perRefresh = diff(await simCalls(sim), beforeRefresh);

		// Polls must not overlap (process.cpuUsage would count both): leave ~0.5 ms per CT between them.
		const poll = await pollerCost(spyre, sim.simJson, 8, Math.max(400, Math.round(CTS / 2)));
		spyre = poll.spyre;
		await control(sim.simJson, { reset: true });

		const loadCalls = total(perLoad);
		const refreshCalls = total(perRefresh);
		const onlyResources = (c: Record<string, number>) => Object.keys(c).every((k) => k.includes('/cluster/resources') || k.includes('/nodes'));
		const targets = {
			'server time p50 <= 50 ms': renderMs.p50 <= 50,
			'server time p95 <= 80 ms': renderMs.p95 <= 80,
			'first response <= 200 KB': one.bytes <= 200 * 1024,
			'one /cluster/resources call per load': (perLoad['GET /cluster/resources'] ?? 0) === 1 && onlyResources(perLoad),
			'one /cluster/resources call per refresh': (perRefresh['GET /cluster/resources'] ?? 0) === 1 && onlyResources(perRefresh)
		};
		return {
			cts: CTS,
			nodes: NODES.length,
			managed: inventory.environments.length,
			unmanaged: inventory.unmanaged.length,
			vms: inventory.vms.length,
			setupSeconds: round1(setupMs / 1000),
			pageBytes: one.bytes,
			renderMs,
			serverStagesMs: breakdown,
			simulatorClusterResourcesMs: round1(percentile(simTimes, 50)),
			searchOneCt: { bytes: searched.bytes, ms: searchMs },
			cardsView: { bytes: cards.bytes, ms: cardsMs },
			proxmoxCallsPerPageLoad: { total: loadCalls, ...perLoad },
			proxmoxCallsPerStatusRefresh: { total: refreshCalls, ...perRefresh },
			statusPollerCpuMsPerPoll: poll.cpuMs,
			targetsSetFor: '1,000 CTs',
			targets: Object.fromEntries(Object.entries(targets).map(([k, ok]) => [k, ok ? 'met' : 'NOT met'])),
			...(profile ? { profile } : {})
		};
	} finally {
		await spyre?.stop();
		await sim?.stop();
	}
}
