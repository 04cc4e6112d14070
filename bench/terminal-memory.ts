// terminal-memory (`npm run bench terminal-memory`): Spyre server RSS per open terminal with 50 terminals
// attached and idle; first tried on ONE environment (OpenSSH's MaxSessions defaults to 10 channels per
// connection and Spyre uses one SSH connection per environment), then 5 environments x 10 terminals. Target
// (issue 12): at most 64 KiB of server memory per open terminal. Registered in bench/terminal.ts.
import { performance } from 'node:perf_hooks';
import { judge } from './lib/targets';
import {
	COLS,
	ROWS,
	ctSidePss,
	log,
	median,
	openTerminal,
	round,
	rssKiB,
	sleep,
	startHarness,
	type Env,
	type Harness,
	type Term
} from './lib/terminal-harness';

const TERMINALS = 50;
const MEMORY_TARGET_KIB = 64;

async function sampleRss(pid: number): Promise<number> {
	const xs: number[] = [];
	for (let i = 0; i < 5; i++) {
		xs.push(rssKiB(pid));
		await sleep(200);
	}
	return median(xs);
}

/** Open terminals one at a time over `slots` (env, window); stops at the first failure. */
async function openMany(h: Harness, slots: Array<{ env: Env; window: number }>): Promise<{ terms: Term[]; failure: Record<string, unknown> | null; openMs: number[] }> {
	const terms: Term[] = [];
	const openMs: number[] = [];
	for (const [i, slot] of slots.entries()) {
		const t0 = performance.now();
		try {
			terms.push(await openTerminal(h, slot.env.id, slot.window, { cols: COLS, rows: ROWS, timeoutMs: 15_000 }));
			openMs.push(performance.now() - t0);
		} catch (err) {
			const e = err as Error & { close?: unknown; control?: unknown };
			return { terms, openMs, failure: { atTerminal: i + 1, env: slot.env.id, window: slot.window, message: e.message, close: e.close, control: e.control } };
		}
	}
	return { terms, openMs, failure: null };
}

/** tmux sessions per environment (main + one grouped session per attached terminal), over a separate raw ssh connection. */
async function countTmuxSessions(h: Harness, envs: Env[]): Promise<Record<string, number | string>> {
	const out: Record<string, number | string> = {};
	for (const env of envs) {
		const r = await h.ssh(env, 'tmux -L spyre list-sessions -F "#{session_name}" 2>/dev/null | wc -l');
		out[env.id] = r.code === 0 ? Number(r.stdout.trim()) : `ssh failed: ${r.stderr.trim()}`;
	}
	return out;
}

async function closeAll(terms: Term[]): Promise<void> {
	await Promise.all(terms.map((t) => t.close()));
}

export async function benchMemory(): Promise<Record<string, unknown>> {
	const h = await startHarness();
	const open: Term[] = [];
	try {
		const pid = h.spyre.pid;
		const report: Record<string, unknown> = {};

		// Phase 1: all 50 on ONE environment (5 windows x 10 terminals).
		const env0 = await h.createEnv('bench-mem-0');
		log(`environment ${env0.id} at ${env0.ip}`);
		const win0 = [0];
		for (let w = 1; w < 5; w++) win0.push(await h.createWindow(env0.id, `mem-${w}`));
		const before1 = await sampleRss(pid);
		const p1 = await openMany(h, Array.from({ length: TERMINALS }, (_, i) => ({ env: env0, window: win0[i % win0.length] })));
		open.push(...p1.terms);
		await sleep(1000);
		const after1 = await sampleRss(pid);
		const stillOpen1 = p1.terms.filter((t) => t.closeInfo === null).length;
		let windowsApiWhileFull: unknown = null;
		if (p1.failure) {
			// Is the environment still usable for non-terminal work (each tmux command is an exec channel)?
			const r = await h.api('GET', `/api/environments/${env0.id}/windows`);
			windowsApiWhileFull = { status: r.status, body: r.json };
		}
		report.oneEnvironment = {
			attempted: TERMINALS,
			opened: p1.terms.length,
			stillOpenAfter1s: stillOpen1,
			failure: p1.failure,
			windowsApiWhileFull,
			rssKiB: { before: before1, after: after1 },
			perTerminalKiB: p1.terms.length ? round((after1 - before1) / p1.terms.length, 1) : null
		};
		log(`one environment: ${p1.terms.length}/${TERMINALS} opened${p1.failure ? `, failed: ${p1.failure.message}` : ''}`);
		await closeAll(p1.terms);
		open.length = 0;
		await sleep(1500);
		(report.oneEnvironment as Record<string, unknown>).tmuxSessionsAfterClosingAll = await countTmuxSessions(h, [env0]);

		// Phase 2: 5 environments x 10 terminals (2 windows each).
		const envs: Env[] = [env0];
		for (let i = 1; i < 5; i++) envs.push(await h.createEnv(`bench-mem-${i}`));
		const slots: Array<{ env: Env; window: number }> = [];
		for (const env of envs) {
			const windows = env === env0 ? [win0[0], win0[1]] : [0, await h.createWindow(env.id, 'mem-1')];
			for (let i = 0; i < 10; i++) slots.push({ env, window: windows[i % 2] });
		}
		const tmuxSessions = () => countTmuxSessions(h, envs);
		const rounds: Array<Record<string, unknown>> = [];
		let allOk = true;
		for (let round_ = 1; round_ <= 2; round_++) {
			const ctBefore = ctSidePss(h.sim.pid);
			const before2 = await sampleRss(pid);
			const p2 = await openMany(h, slots);
			open.push(...p2.terms);
			await sleep(2000);
			const after2 = await sampleRss(pid);
			const ctAfter = ctSidePss(h.sim.pid);
			const sessionsWhileOpen = await tmuxSessions();
			const stillOpen2 = p2.terms.filter((t) => t.closeInfo === null).length;
			const n = p2.terms.length;
			await closeAll(p2.terms);
			open.length = 0;
			await sleep(2000);
			const afterClose = await sampleRss(pid);
			const ctAfterClose = ctSidePss(h.sim.pid);
			const byCommDelta: Record<string, { n: number; kib: number }> = {};
			for (const [comm, a] of Object.entries(ctAfter.byComm)) {
				const b = ctBefore.byComm[comm] ?? { n: 0, kib: 0 };
				if (a.n !== b.n || Math.abs(a.kib - b.kib) > 256) byCommDelta[comm] = { n: a.n - b.n, kib: a.kib - b.kib };
			}
			allOk &&= !p2.failure && stillOpen2 === slots.length;
			rounds.push({
				round: round_,
				opened: n,
				stillOpenAfter2s: stillOpen2,
				failure: p2.failure,
				openMs: { p50: round(median(p2.openMs), 0), max: round(Math.max(...p2.openMs), 0) },
				serverRssKiB: { before: before2, with50: after2, afterClosingAll: afterClose },
				serverPerTerminalKiB: n ? round((after2 - before2) / n, 1) : null,
				ctSidePssKiB: {
					before: ctBefore.totalKiB,
					with50: ctAfter.totalKiB,
					afterClosingAll: ctAfterClose.totalKiB,
					perTerminal: n ? round((ctAfter.totalKiB - ctBefore.totalKiB) / n, 1) : null,
					deltaByProcess: byCommDelta,
					tmuxClientsAfterClosingAll: ctAfterClose.byComm['tmux: client']?.n ?? 0
				},
				tmuxSessionsPerEnvironment: { with50: sessionsWhileOpen, afterClosingAll: await tmuxSessions() }
			});
			log(`5x10 round ${round_}: ${n} opened, server +${after2 - before2} KiB`);
		}
		report.fiveEnvironments = {
			environments: envs.length,
			terminalsPerEnvironment: 10,
			windowsPerEnvironment: 2,
			rounds,
			ctSideNote: 'PSS of every process under the simulator (CT init, sshd and its session children, tmux server and clients); shared pages split between sharers'
		};
		const last = rounds.at(-1) as { serverPerTerminalKiB: number; ctSidePssKiB: { perTerminal: number } };
		report.result = {
			layout: `5 environments x 10 terminals${p1.terms.length < TERMINALS ? ` (50 on one environment failed at terminal ${p1.terms.length + 1}, see oneEnvironment)` : ''}`,
			serverPerTerminalKiB: last.serverPerTerminalKiB,
			serverPerTerminalKiBByRound: rounds.map((r) => r.serverPerTerminalKiB),
			ctSidePerTerminalKiB: last.ctSidePssKiB.perTerminal,
			allOpenedAndStayedOpen: allOk
		};
		report.method =
			'Server RSS = VmRSS of the `node server.js` PID (median of 5 samples over 1 s), before and after opening the terminals one by one ' +
			'(each waited to `ready`), idle. Baseline taken with the environments created and their SSH pool connections open.';
		report.targets = [
			judge({
				name: 'server memory per open terminal',
				figure: last.serverPerTerminalKiB,
				unit: 'KiB',
				op: '<=',
				limit: MEMORY_TARGET_KIB,
				versus: 'RSS of `node server.js` with 50 idle terminals open (5 environments x 10) minus before, / 50; last round'
			})
		];
		report.alsoRequired = 'works with 50 terminals open (allOpenedAndStayedOpen)';
		report.fiftyTerminalsOnOneEnvironment = !p1.failure && stillOpen1 === TERMINALS;
		return report;
	} finally {
		await closeAll(open).catch(() => {});
		await h.stop();
	}
}
