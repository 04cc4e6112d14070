// Benchmark: the environments page with many CTs across 3 simulated nodes (`--cts N`, default 1,000, the
// scale the targets are set for; 70 % of them managed by Spyre, the rest unmanaged). Reports the server
// time to render /environments (time to the full response over loopback, after warm-up) with its stages
// (from the page's Server-Timing header), the size of the first response, a search and the cards view,
// the number of Proxmox API calls one page load and one status refresh make (counted by the simulator
// itself), and the status poller's CPU time per poll on the Spyre process. `--profile FILE` writes a V8
// CPU profile of the server during the page loads (`npx tsx bench/lib/profile-summary.ts FILE` sums it up),
// `--profile-poll FILE` one of the server while it polls (`--polls N` measured, default 20, after
// `--warmup-polls N`, default 5).
//
// A second timing of the same page runs with background database writes (`--write-every-ms N`, default
// 10): one audit row committed every N ms from another connection, and one more right before each load.
// Spyre caches the environments rows until SQLite reports any write (environments/rows-cache.ts), so
// the quiet timing above measures cache hits; this one measures every load paying the row read, as on a
// server where sign-ins, terminals and agent tasks write all the time.
import path from 'node:path';
import Database from 'better-sqlite3';
import { control, controlGet, pveRequest, startSim, type RunningSim } from '../tests/helpers/sim';
import { setupAdmin, startSpyre, type RunningSpyre } from '../tests/helpers/spyre';
import { startBackgroundWriter } from './lib/db-writer';
import { flag, intFlag } from './lib/flags';
import { createCts, insertManaged } from './lib/many-cts';
import { median, percentile } from './lib/stats';
import { judge, reportOnly, type Target } from './lib/targets';
import { log } from './lib/terminal-harness';

const NODES = ['pve', 'pve2', 'pve3'];

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Environment for a server that writes a V8 CPU profile to `file` when it exits (bench/lib/cpu-profile.mjs). */
function profileEnv(file: string): Record<string, string> {
	return { NODE_OPTIONS: `--import ${path.resolve('bench/lib/cpu-profile.mjs')}`, SPYRE_CPU_PROFILE: path.resolve(file) };
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

async function timedLoads(load: () => Promise<{ ms: number }>, n: number): Promise<{ p50: number; p95: number; max: number }> {
	const times: number[] = [];
	for (let i = 0; i < n; i++) times.push((await load()).ms);
	times.sort((a, b) => a - b);
	return { p50: round1(percentile(times, 50)), p95: round1(percentile(times, 95)), max: round1(times[times.length - 1]) };
}

interface PollerCost {
	/** Polls in a quiet cluster (nothing changed since the last one), after `warmup` polls left out. */
	cpuMs: { p50: number; max: number };
	/** The part of a quiet poll spent in the /cluster/resources call (request, parse, validation), median. */
	callCpuMs: number | null;
	/** The poll after every managed row was changed behind Spyre's back: it writes and pushes them all. */
	allRowsChangedCpuMs: number;
	/** /cluster/resources calls the simulator counted, and polls the server logged, in the same window. */
	calls: number;
	polls: number;
}

/** Restart on the same data with a fast poller that logs its CPU time per poll. */
async function pollerCost(spyre: RunningSpyre, sim: RunningSim, polls: number, warmup: number, intervalMs: number, profileEnv: Record<string, string> = {}): Promise<PollerCost> {
	await spyre.stop({ keepData: true });
	const callsBefore = (await simCalls(sim))['GET /cluster/resources'] ?? 0;
	const env = { SPYRE_POLL_MS: String(intervalMs), SPYRE_POLL_STATS: '1', ...profileEnv };
	const next = await startSpyre({ mode: 'built', simJson: sim.simJson, reuse: spyre, env });
	const lines = () => [...next.output().stdout.matchAll(/status poll: (.*) ([\d.]+) ms CPU(?: \(Proxmox call ([\d.]+)\))?/g)];
	const waitForPolls = async (n: number) => {
		const deadline = Date.now() + 30_000 + n * intervalMs * 2;
		while (lines().length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
		if (lines().length < n) throw new Error(`the status poller logged ${lines().length} of ${n} polls (SPYRE_POLL_STATS)`);
	};
	try {
		await waitForPolls(warmup + polls);
		// The first polls run while V8 still compiles the call path (the first also sets the poller's
		// baseline); a server polls every 30 s for weeks, so they are left out.
		const quiet = lines().slice(warmup);
		const steady = quiet.map((m) => Number(m[2])).sort((a, b) => a - b);
		const calls = quiet
			.filter((m) => m[3] !== undefined)
			.map((m) => Number(m[3]))
			.sort((a, b) => a - b);

		// Every managed row flipped to 'running' from outside (the CTs are stopped): the poll that first sees
		// it writes all of them back and pushes one event each. The flip may land while a poll is past its
		// read, so the costlier of the next two polls is that one.
		const seen = lines().length;
		const db = new Database(next.dbPath);
		try {
			db.prepare("UPDATE environments SET status = 'running' WHERE status = 'stopped'").run();
		} finally {
			db.close();
		}
		await waitForPolls(seen + 2);
		const allRowsChangedCpuMs = Math.max(
			...lines()
				.slice(seen, seen + 2)
				.map((m) => Number(m[2]))
		);
		await next.stop();
		return {
			cpuMs: { p50: round1(percentile(steady, 50)), max: round1(steady[steady.length - 1]) },
			callCpuMs: calls.length ? round1(percentile(calls, 50)) : null,
			allRowsChangedCpuMs: round1(allRowsChangedCpuMs),
			calls: ((await simCalls(sim))['GET /cluster/resources'] ?? 0) - callsBefore,
			polls: lines().length
		};
	} finally {
		await next.stop();
	}
}

export async function benchEnvironmentsPage(): Promise<Record<string, unknown>> {
	const CTS = intFlag('cts', 1000);
	const MANAGED = Math.round(CTS * 0.7);
	const LOADS = intFlag('loads', 30);
	const profile = flag('profile');
	const profilePoll = flag('profile-poll');
	const POLLS = intFlag('polls', 20);
	const WARMUP = intFlag('warmup-polls', 5);
	const WRITE_EVERY_MS = intFlag('write-every-ms', 10);
	let sim: RunningSim | undefined;
	let spyre: RunningSpyre | undefined;
	try {
		sim = await startSim({ nodes: NODES });
		const t0 = Date.now();
		const cts = await createCts(sim, { count: CTS, nodes: NODES, prefix: 'bench-' });
		const setupMs = Date.now() - t0;
		// Give the status poller no say in the counts: it is switched off for the page measurement.
		const env: Record<string, string> = { SPYRE_POLL_MS: '0' };
		if (profile) Object.assign(env, profileEnv(profile));
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
		const stage = (k: string) => round1(median(stages.map((x) => x[k] ?? 0)));
		const breakdown = {
			proxmoxCall: stage('proxmox'),
			mergeRows: stage('merge'),
			filterAndPage: stage('list'),
			rest: round1(stage('total') - stage('proxmox') - stage('merge') - stage('list')),
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

		// The same page while the database is written to (see the header): every load is a rows-cache miss.
		const writer = startBackgroundWriter(spyre.dbPath, WRITE_EVERY_MS);
		const db = new Database(spyre.dbPath);
		let withWrites: { p50: number; p95: number; max: number };
		let writes: number;
		try {
			db.pragma('busy_timeout = 5000');
			const write = db.prepare("INSERT INTO audit_log (ts, action, target, outcome, detail) VALUES (?, 'bench.write', 'bench', 'success', 'write before a load')");
			for (let i = 0; i < 3; i++) await load(); // the writer is running
			const writesBefore = writer.count();
			withWrites = await timedLoads(() => {
				write.run(Date.now());
				return load();
			}, LOADS);
			writes = writer.count() - writesBefore + LOADS;
		} finally {
			db.close();
			await writer.stop();
		}

		const beforeRefresh = await simCalls(sim);
		const api = await fetch(`${spyre.url}/api/environments`, { headers: { cookie } });
		const inventory = (await api.json()) as { environments: unknown[]; unmanaged: unknown[]; vms: unknown[] };
		const perRefresh = diff(await simCalls(sim), beforeRefresh);

		// Polls must not overlap (process.cpuUsage would count both): leave ~0.5 ms per CT between them.
		const poll = await pollerCost(spyre, sim, POLLS, WARMUP, Math.max(400, Math.round(CTS / 2)), profilePoll ? profileEnv(profilePoll) : {});
		spyre = undefined;
		await control(sim.simJson, { reset: true });

		const loadCalls = total(perLoad);
		const refreshCalls = total(perRefresh);
		const onlyResources = (c: Record<string, number>) => Object.keys(c).every((k) => k.includes('/cluster/resources') || k.includes('/nodes'));
		// The time targets are set for 1,000 CTs; at another count they are printed, not judged.
		const timed = (t: Target) => (CTS === 1000 ? judge(t) : reportOnly(t, 'set for 1,000 CTs'));
		const quiet = 'time to the full /environments response over loopback, quiet database (rows cache hits)';
		const written = `the same with background database writes (every load misses the rows cache)`;
		const judged = [
			timed({ name: 'server time p50', figure: renderMs.p50, unit: 'ms', op: '<=', limit: 50, versus: quiet }),
			timed({ name: 'server time p95', figure: renderMs.p95, unit: 'ms', op: '<=', limit: 80, versus: quiet }),
			timed({ name: 'server time p50 with background writes', figure: withWrites.p50, unit: 'ms', op: '<=', limit: 50, versus: written }),
			timed({ name: 'server time p95 with background writes', figure: withWrites.p95, unit: 'ms', op: '<=', limit: 80, versus: written }),
			judge({ name: 'first response', figure: round1(one.bytes / 1024), unit: 'KiB', op: '<=', limit: 200, versus: 'bytes of the first /environments response' })
		];
		// Exact counts, not limits: the figure is the calls the simulator counted.
		const counted = (name: string, ok: boolean, figure: unknown) => {
			const verdict = ok ? 'met' : 'not met';
			log(`target: ${name} = ${JSON.stringify(figure)}: ${verdict}`);
			return { name, figure, verdict };
		};
		const calls = [
			counted('one /cluster/resources call per load', (perLoad['GET /cluster/resources'] ?? 0) === 1 && onlyResources(perLoad), perLoad),
			counted('one /cluster/resources call per refresh', (perRefresh['GET /cluster/resources'] ?? 0) === 1 && onlyResources(perRefresh), perRefresh),
			// A poll cut short by the stop may have made its call without logging it.
			counted('one /cluster/resources call per status poll', poll.calls >= poll.polls && poll.calls <= poll.polls + 1, { polls: poll.polls, calls: poll.calls })
		];
		return {
			cts: CTS,
			nodes: NODES.length,
			managed: inventory.environments.length,
			unmanaged: inventory.unmanaged.length,
			vms: inventory.vms.length,
			setupSeconds: round1(setupMs / 1000),
			pageBytes: one.bytes,
			renderMs,
			renderWithBackgroundWritesMs: {
				...withWrites,
				writes,
				writesPerLoad: round1(writes / LOADS),
				note: `one audit row committed every ${WRITE_EVERY_MS} ms from another connection and one right before each load: every load misses the rows cache`
			},
			serverStagesMs: breakdown,
			simulatorClusterResourcesMs: round1(percentile(simTimes, 50)),
			searchOneCt: { bytes: searched.bytes, ms: searchMs },
			cardsView: { bytes: cards.bytes, ms: cardsMs },
			proxmoxCallsPerPageLoad: { total: loadCalls, ...perLoad },
			proxmoxCallsPerStatusRefresh: { total: refreshCalls, ...perRefresh },
			statusPollerCpuMsPerPoll: poll.cpuMs,
			statusPollerCallCpuMs: poll.callCpuMs,
			statusPollerAllRowsChangedCpuMs: poll.allRowsChangedCpuMs,
			statusPollerCalls: { polls: poll.polls, calls: poll.calls },
			targetsSetFor: '1,000 CTs',
			targets: [...judged, ...calls],
			...(profile ? { profile } : {}),
			...(profilePoll ? { profilePoll } : {})
		};
	} finally {
		await spyre?.stop();
		await sim?.stop();
	}
}
