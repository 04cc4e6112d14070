// Benchmark: "Run 4 attempts" through the built server on the simulator, with the real CLI and the fake
// Messages API: the time from the request until all four tasks run (target ≤ 10 s), each clone's time
// from its clone call to SSH-ready as Spyre records it (target ≤ 2 s; the clone tasks of one source run one
// after another, Proxmox's lock, so a later clone's figure includes its wait: the first clone and the
// marginal time per clone are reported too), and the memory (RSS of the clone's processes, from Proxmox's
// `mem`) and disk (the clone's own layer, `du` of its upper dir in the simulator's state) each clone adds,
// and the disk of the set's base template (the one full copy the linked clones stack on; gone with the set).
// Each round discards its set before the next (the clone limit). A round past its deadline is a miss.
// Reports the first and the last round. Flags: --rounds N (default 2), --count N (default 4).
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { installClaudeInCt } from '../tests/helpers/claude-cli';
import { startFakeAnthropicFor, type FakeAnthropic } from '../tests/helpers/fake-anthropic';
import { pveRequest, startSim, type RunningSim } from '../tests/helpers/sim';
import { setupAdmin, startSpyre, type RunningSpyre } from '../tests/helpers/spyre';
import { createEnvironment, signedInApi } from '../tests/helpers/environments';
import { TEST_TEMPLATE } from '../tests/helpers/templates';
import { intFlag } from './lib/flags';
import { formatBytes, median, round } from './lib/stats';
import type { AttemptSetView } from '../src/lib/shared/types/attempts';

const API_KEY = 'sk-ant-api03-spyrebenchattempts000000';
const ALL_RUNNING_TARGET_MS = 10_000;
const PER_CLONE_TARGET_MS = 2000;
const DEADLINE_MS = 90_000;

interface Round {
	allRunningMs: number;
	cloneMs: number[];
	firstCloneMs: number;
	marginalPerCloneMs: number;
	memPerCloneBytes: number;
	baseDiskBytes: number | null;
	diskPerCloneBytes: number;
	met: boolean;
}

export async function benchAttempts(): Promise<Record<string, unknown>> {
	const rounds = intFlag('rounds', 2);
	const count = intFlag('count', 4);
	let sim: RunningSim | undefined;
	let spyre: RunningSpyre | undefined;
	let fake: FakeAnthropic | undefined;
	try {
		sim = await startSim();
		fake = await startFakeAnthropicFor(sim.simJson, { acceptKeys: [API_KEY] });
		spyre = await startSpyre({ mode: 'built', simJson: sim.simJson, env: { SPYRE_POLL_MS: '0' }, config: { claude: { api_base_url: fake.url } } });
		const api = signedInApi(spyre.url, await setupAdmin(spyre.url, 'bench', 'bench-password-1'));
		if ((await api('POST', '/auth/claude/api-key', { apiKey: API_KEY })).status !== 200) throw new Error('storing the API key failed');
		const source = await createEnvironment(api, { hostname: 'bench-att', template: TEST_TEMPLATE, cores: 1, memory: 512, disk: 4 });
		await installClaudeInCt(`${spyre.dataDir}/ssh/id_ed25519`, source.ip!, sim.simJson.sshPort);
		const results: Array<Round | 'miss'> = [];
		for (let r = 0; r < rounds; r++) results.push(await oneRound(api, sim, source.id, count).catch((err) => (console.error(`round ${r + 1}: ${(err as Error).message}`), 'miss' as const)));
		const done = results.filter((x): x is Round => x !== 'miss');
		const view = (x: Round | 'miss' | undefined) =>
			x === undefined || x === 'miss'
				? 'miss'
				: {
						...x,
						memPerClone: formatBytes(x.memPerCloneBytes),
						baseDisk: x.baseDiskBytes === null ? null : formatBytes(x.baseDiskBytes),
						diskPerClone: formatBytes(x.diskPerCloneBytes),
						cloneMs: x.cloneMs.map((v) => Math.round(v))
					};
		return {
			rounds,
			count,
			first: view(results[0]),
			last: view(results.at(-1)),
			misses: results.filter((x) => x === 'miss').length,
			allRunningMedianMs: done.length ? round(median(done.map((x) => x.allRunningMs)), 0) : null,
			targets: `all ${count} tasks running <= ${ALL_RUNNING_TARGET_MS} ms; per clone <= ${PER_CLONE_TARGET_MS} ms (first clone, and marginal per clone)`,
			note: "one full clone of the snapshot per set (the base, a template; it carries the ~400 MB CLI binary), then linked clones of it, one after another (Proxmox holds lock: disk on a CT template too during a clone); the time from 'Run' includes the snapshot and the base"
		};
	} finally {
		await spyre?.stop();
		await sim?.stop();
		await fake?.stop();
	}
}

async function oneRound(api: ReturnType<typeof signedInApi>, sim: RunningSim, envId: string, count: number): Promise<Round> {
	const t0 = performance.now();
	const res = await api('POST', '/api/claude/attempts', { environmentId: envId, count, prompt: '[[bash: sleep 8; echo bench]]' });
	if (res.status !== 201) throw new Error(`Run ${count} attempts answered ${res.status}: ${await res.text()}`);
	const setId = ((await res.json()) as { set: AttemptSetView }).set.id;
	const get = async () => ((await (await api('GET', `/api/claude/attempts/${setId}`)).json()) as { set: AttemptSetView }).set;
	let set = await get();
	let allRunningMs: number;
	for (;;) {
		if (set.attempts.every((a) => a.taskStatus === 'running' || a.taskStatus === 'succeeded')) {
			allRunningMs = performance.now() - t0;
			break;
		}
		if (set.status === 'failed' || set.attempts.some((a) => a.status === 'failed')) throw new Error(`an attempt failed: ${set.error ?? set.attempts.map((a) => a.error).join('; ')}`);
		if (performance.now() - t0 > DEADLINE_MS) throw new Error('not all tasks ran before the deadline');
		await new Promise((r) => setTimeout(r, 100));
		set = await get();
	}
	const cloneMs = set.attempts.map((a) => a.cloneMs ?? Number.POSITIVE_INFINITY);
	const sorted = [...cloneMs].sort((a, b) => a - b);
	// What each clone adds: its processes' memory (Proxmox's `mem`) and its own layer on disk.
	const resources = (await pveRequest<Array<{ vmid: number; name?: string; mem?: number }>>(sim.simJson, 'GET', '/cluster/resources', { query: { type: 'vm' } })).body!.data;
	const clones = resources.filter((r) => set.attempts.some((a) => a.hostname === r.name));
	const mem = clones.reduce((s, c) => s + (c.mem ?? 0), 0) / Math.max(1, clones.length);
	const du = (vmid: number) => Number(execFileSync('du', ['-sb', `${sim!.stateDir}/cts/${vmid}/upper`], { encoding: 'utf8' }).split('\t')[0]);
	const disk = clones.reduce((s, c) => s + du(c.vmid), 0) / Math.max(1, clones.length);
	const base = resources.find((r) => r.name?.endsWith('-base'));
	const baseDisk = base ? du(base.vmid) : null;
	// Let the tasks end, then discard the set so the next round has room under the clone limit.
	for (const end = Date.now() + DEADLINE_MS; set.status !== 'done' && Date.now() < end; set = await get()) await new Promise((r) => setTimeout(r, 500));
	const keep = await api('POST', `/api/claude/attempts/${setId}/keep`, { attempt: null, destroy: set.attempts.filter((a) => a.environmentId).map((a) => a.hostname) });
	if (keep.status !== 200) throw new Error(`discard answered ${keep.status}: ${await keep.text()}`);
	for (const end = Date.now() + DEADLINE_MS; set.attempts.some((a) => a.environmentId) && Date.now() < end; set = await get()) await new Promise((r) => setTimeout(r, 500));
	// The base goes with the set's last clone.
	const baseLeft = async () => (await pveRequest<Array<{ name?: string }>>(sim.simJson, 'GET', '/cluster/resources', { query: { type: 'vm' } })).body!.data.some((r) => r.name?.endsWith('-base'));
	for (const end = Date.now() + DEADLINE_MS; (await baseLeft()) && Date.now() < end;) await new Promise((r) => setTimeout(r, 500));
	if (await baseLeft()) throw new Error("the set's base template was not destroyed after its last clone");
	const firstCloneMs = sorted[0];
	const marginal = count > 1 ? (sorted[count - 1] - sorted[0]) / (count - 1) : firstCloneMs;
	return {
		allRunningMs: round(allRunningMs, 0),
		cloneMs,
		firstCloneMs: round(firstCloneMs, 0),
		marginalPerCloneMs: round(marginal, 0),
		memPerCloneBytes: Math.round(mem),
		diskPerCloneBytes: Math.round(disk),
		baseDiskBytes: baseDisk,
		met: allRunningMs <= ALL_RUNNING_TARGET_MS && firstCloneMs <= PER_CLONE_TARGET_MS && marginal <= PER_CLONE_TARGET_MS
	};
}
