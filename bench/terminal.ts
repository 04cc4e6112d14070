// Terminal benchmarks (`npm run bench terminal-throughput terminal-latency terminal-memory`), each against
// the Proxmox simulator (CTs are real sshd processes on 127.77.x.y) and the built Spyre (`node server.js`):
//
// - terminal-throughput: `cat` of a 64 MiB printable file in a fresh tmux window through the WebSocket
//   path (Node `ws` client, no browser), timed from sending the command to the end marker, against
//   `ssh host cat file >/dev/null`, `ssh -tt host cat file`, and the same typed command over `ssh -tt`
//   into a plain tmux on the same sshd (the baseline the target is judged on).
//   Throughput = file bytes / elapsed: tmux redraws the screen instead of forwarding every byte, so the
//   bytes that reach the WebSocket client are far fewer than 64 MiB (reported as wsBytesReceived).
// - terminal-latency: keystroke -> echo time of single characters typed into bash through the WebSocket
//   path, against `ssh -tt` into a plain tmux on the same sshd (the target's baseline, typed into in turns
//   with the WebSocket session, key by key), `ssh -tt` into Spyre's own tmux (splits the overhead),
//   `ssh -tt host bash --norc` (OpenSSH client on pipes) and an ssh2 PTY shell.
// - terminal-memory: Spyre server RSS per open terminal (bench/terminal-memory.ts).
//
// Targets (issue 12), printed with their figures and met / not met: latency p99 at most +0.5 ms over
// `ssh -tt` into tmux; throughput at least 0.95x `ssh -tt` into tmux; server memory at most 64 KiB per
// open terminal.
//
// Every process a benchmark starts (simulator, server, ssh children) is stopped by PID in a finally block.
import { performance } from 'node:perf_hooks';
import fs from 'node:fs';
import { Client as Ssh2Client, type ClientChannel } from 'ssh2';
import { pooled, summary, typeInTurns, type KeyIo, type Samples } from './lib/keystrokes';
import { judge } from './lib/targets';
import { benchMemory } from './terminal-memory';
import {
	COLS,
	ROWS,
	log,
	median,
	openTerminal,
	round,
	sleep,
	startHarness,
	waitQuiet,
	watchFor,
	type Env,
	type Harness,
	type Term
} from './lib/terminal-harness';

const FILE_BYTES = 64 * 1024 * 1024;
const BIG = '/tmp/spyre-bench-big.txt';
const RUNS = 3;
const THROUGHPUT_TARGET = 0.95;
const LATENCY_P99_TARGET_MS = 0.5;
const KEYSTROKES = 300;
/** Latency rounds, each typing LATENCY_KEYS into the WebSocket and the ssh -tt tmux session in turns. */
const LATENCY_ROUNDS = 3;
const LATENCY_KEYS = 300;
const MiB = 1024 * 1024;
/**
 * The size of every terminal the benchmarks open. `ssh -tt` on pipes gets a 0x0 PTY (tmux then draws 80x24),
 * so the ssh sessions set it first: when tmux falls behind it redraws the whole screen, and a smaller
 * screen means fewer bytes (an 80x24 baseline received 40/24 of the bytes a 120x40 one did).
 */
const STTY_SIZE = ['stty', 'rows', String(ROWS), 'cols', String(COLS), '&&'];
/** tmux without Spyre: a separate server (-L), default config, `-u` and TERM as Spyre uses them. */
const RAW_TMUX_SOCKET = 'spyre-bench-raw';
const RAW_TMUX = [...STTY_SIZE, 'env', 'TERM=xterm-256color', 'LANG=C.UTF-8', 'tmux', '-u', '-L', RAW_TMUX_SOCKET, '-f', '/dev/null', 'new-session', 'bash', '--norc', '--noprofile'];
/**
 * Spyre's own tmux (its server, config and session), attached the way Spyre attaches (a grouped session per
 * client), but over `ssh -tt` instead of Spyre: splits the WebSocket path's extra time into what Spyre's
 * tmux set-up costs and what the hop through the Spyre server costs. `\\;` reaches the remote shell as `\;`.
 */
const spyreTmux = (window: number, name: string) => [
	...STTY_SIZE, 'env', 'TERM=xterm-256color', 'LANG=C.UTF-8', 'tmux', '-u', '-L', 'spyre',
	'new-session', '-t', '=spyre', '-s', name, '\\;', 'set-option', 'destroy-unattached', 'on', '\\;', 'select-window', '-t', `:${window}`
];

// ---------------------------------------------------------------------------------------------------
// helpers

/** Wait until the terminal has been quiet for a while (the prompt is drawn). */
function termQuiet(t: Term, quietMs = 300, maxMs = 5000): Promise<void> {
	return waitQuiet(
		(cb) => {
			const prev = t.onData;
			t.onData = () => cb();
			return () => (t.onData = prev);
		},
		quietMs,
		maxMs
	);
}

function spawnTimed(h: Harness, args: string[], tty: boolean): Promise<{ ms: number; code: number | null }> {
	const t0 = performance.now();
	// stdin stays an open pipe for -tt (EOF on a PTY session's stdin would reach the remote side).
	const child = h.spawnSsh(args, [tty ? 'pipe' : 'ignore', 'ignore', 'pipe']);
	let err = '';
	child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			if (child.pid) process.kill(child.pid, 'SIGKILL');
			reject(new Error(`ssh ${args.at(-1)} timed out; stderr: ${err}`));
		}, 90_000);
		child.once('exit', (code) => {
			clearTimeout(timer);
			const ms = performance.now() - t0;
			if (code !== 0) reject(new Error(`ssh exited ${code}: ${err.trim()}`));
			else resolve({ ms, code });
		});
	});
}

const mibps = (bytes: number, ms: number) => round(bytes / MiB / (ms / 1000), 1);

// ---------------------------------------------------------------------------------------------------
// throughput

async function wsCat(h: Harness, env: Env, window: number): Promise<{ ms: number; bytes: number }> {
	const term = await openTerminal(h, env.id, window, { cols: COLS, rows: ROWS });
	try {
		await termQuiet(term);
		const before = term.bytes;
		const marker = watchFor('__DONE__');
		let t0 = 0;
		const done = new Promise<number>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error('no end marker after 90 s')), 90_000);
			term.onData = (chunk) => {
				if (marker.feed(chunk)) {
					clearTimeout(timer);
					term.onData = null;
					resolve(performance.now());
				}
			};
			void term.closed.then((c) => reject(new Error(`terminal closed ${c.code} ${c.reason} during cat`)));
		});
		t0 = performance.now();
		// The quotes split the marker, so the echoed command line does not match it.
		term.send(`cat ${BIG}; echo __DO''NE__\r`);
		const t1 = await done;
		return { ms: t1 - t0, bytes: term.bytes - before };
	} finally {
		await term.close();
	}
}

/**
 * The WS method without Spyre: an interactive `ssh -tt` session running `program` (bash, or tmux running
 * bash), the same command typed in, timed to the marker. No connect/auth in the timing.
 */
async function sshTtyInteractiveCat(h: Harness, env: Env, program: string[]): Promise<{ ms: number; bytes: number }> {
	const child = h.spawnSsh(h.sshArgs(env, program, true), ['pipe', 'pipe', 'pipe']);
	const exited = new Promise<void>((r) => child.once('exit', () => r()));
	try {
		let bytes = 0;
		let sink: ((c: Buffer) => void) | null = null;
		child.stdout!.on('data', (c: Buffer) => {
			bytes += c.length;
			sink?.(c);
		});
		await waitQuiet((cb) => ((sink = () => cb()), () => (sink = null)), 500, 8000);
		const marker = watchFor('__DONE__');
		const before = bytes;
		const t0 = performance.now();
		const t1 = await new Promise<number>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`no end marker after 90 s (${program.join(' ')})`)), 90_000);
			sink = (c) => {
				if (marker.feed(c)) {
					clearTimeout(timer);
					sink = null;
					resolve(performance.now());
				}
			};
			child.stdin!.write(`cat ${BIG}; echo __DO''NE__\r`);
		});
		return { ms: t1 - t0, bytes: bytes - before };
	} finally {
		if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGTERM');
		await Promise.race([exited, sleep(2000)]);
		if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
	}
}

async function benchThroughput(): Promise<Record<string, unknown>> {
	const h = await startHarness();
	try {
		const env = await h.createEnv('bench-tp');
		log(`environment ${env.id} at ${env.ip}`);
		const mk = await h.ssh(env, `yes spyre-throughput-line | head -c ${FILE_BYTES} > ${BIG} && stat -c %s ${BIG}`, 60_000);
		if (mk.code !== 0 || Number(mk.stdout.trim()) !== FILE_BYTES) throw new Error(`could not create ${BIG}: ${mk.code} ${mk.stdout} ${mk.stderr}`);
		const lines = FILE_BYTES / 'spyre-throughput-line\n'.length;

		const windows: number[] = [];
		for (let i = 0; i < RUNS; i++) windows.push(await h.createWindow(env.id, `tp-${i}`));

		// Warm-up: page cache, the pool's SSH connection, ssh client start-up.
		await spawnTimed(h, h.sshArgs(env, ['cat', BIG], false), false);

		const handshake: number[] = [];
		for (let i = 0; i < 3; i++) handshake.push((await spawnTimed(h, h.sshArgs(env, ['true'], false), false)).ms);

		const ws: Array<{ ms: number; bytes: number }> = [];
		const raw: number[] = [];
		const rawPty: number[] = [];
		const ttyBash: Array<{ ms: number; bytes: number }> = [];
		const ttyTmux: Array<{ ms: number; bytes: number }> = [];
		const ttySpyreTmux: Array<{ ms: number; bytes: number }> = [];
		for (let i = 0; i < RUNS; i++) {
			// Interleaved, so drift (thermal, page cache, other load) hits every method alike.
			const w = await wsCat(h, env, windows[i]);
			ws.push(w);
			raw.push((await spawnTimed(h, h.sshArgs(env, ['cat', BIG], false), false)).ms);
			rawPty.push((await spawnTimed(h, h.sshArgs(env, ['cat', BIG], true), true)).ms);
			ttyBash.push(await sshTtyInteractiveCat(h, env, ['bash', '--norc', '--noprofile', '-i']));
			ttyTmux.push(await sshTtyInteractiveCat(h, env, RAW_TMUX));
			const own = await h.createWindow(env.id, `tp-ssh-${i}`);
			ttySpyreTmux.push(await sshTtyInteractiveCat(h, env, spyreTmux(own, `bench-tp-${i}`)));
			await h.ssh(env, `tmux -L ${RAW_TMUX_SOCKET} kill-server 2>/dev/null; true`);
			log(
				`run ${i + 1}: ws ${Math.round(w.ms)} ms (${w.bytes} B received), ssh ${Math.round(raw[i])} ms, ssh -tt ${Math.round(rawPty[i])} ms, ` +
					`ssh -tt bash ${Math.round(ttyBash[i].ms)} ms, ssh -tt tmux ${Math.round(ttyTmux[i].ms)} ms (${ttyTmux[i].bytes} B), ` +
					`ssh -tt Spyre's tmux ${Math.round(ttySpyreTmux[i].ms)} ms`
			);
		}
		await h.ssh(env, `tmux -L ${RAW_TMUX_SOCKET} kill-server 2>/dev/null; true`);
		const wsMs = median(ws.map((w) => w.ms));
		const rawMs = median(raw);
		const rawPtyMs = median(rawPty);
		const hsMs = median(handshake);
		const ratioRaw = rawMs / wsMs;
		const ratioPty = rawPtyMs / wsMs;
		return {
			file: { path: BIG, bytes: FILE_BYTES, content: `printable: \`yes spyre-throughput-line | head -c ${FILE_BYTES}\` (${Math.round(lines)} lines of 22 bytes)` },
			method:
				'time from sending `cat FILE; echo __DO\'\'NE__` into a fresh tmux window (WS client attached, 120x40) to receiving the marker; ' +
				'raw = wall time of the ssh client process (includes its connect+auth, see sshHandshakeMs), output to /dev/null. ' +
				`throughput = file bytes / elapsed; median of ${RUNS} interleaved runs`,
			runsMs: {
				ws: ws.map((w) => Math.round(w.ms)),
				sshCat: raw.map(Math.round),
				sshTtyCat: rawPty.map(Math.round),
				sshTtyInteractiveBash: ttyBash.map((r) => Math.round(r.ms)),
				sshTtyInteractiveTmux: ttyTmux.map((r) => Math.round(r.ms)),
				sshTtyInteractiveSpyreTmux: ttySpyreTmux.map((r) => Math.round(r.ms))
			},
			wsBytesReceived: ws.map((w) => w.bytes),
			sshTtyInteractiveTmuxBytesReceived: ttyTmux.map((r) => r.bytes),
			wsBytesReceivedNote: 'tmux redraws the screen when the client falls behind instead of forwarding every byte, so the WS client sees far less than the file',
			sshHandshakeMs: Math.round(median(handshake)),
			throughputMiBps: {
				ws: mibps(FILE_BYTES, wsMs),
				sshCat: mibps(FILE_BYTES, rawMs),
				sshCatExclHandshake: mibps(FILE_BYTES, rawMs - hsMs),
				sshTtyCat: mibps(FILE_BYTES, rawPtyMs),
				sshTtyCatExclHandshake: mibps(FILE_BYTES, rawPtyMs - hsMs),
				sshTtyInteractiveBash: mibps(FILE_BYTES, median(ttyBash.map((r) => r.ms))),
				sshTtyInteractiveTmux: mibps(FILE_BYTES, median(ttyTmux.map((r) => r.ms))),
				sshTtyInteractiveSpyreTmux: mibps(FILE_BYTES, median(ttySpyreTmux.map((r) => r.ms)))
			},
			extraBaselines:
				'sshTtyInteractive*: the WS method (type the command, time to the marker; no connect/auth) over an ssh -tt session running bash, or a separate tmux (-L spyre-bench-raw, default config) running bash: isolates the cost of tmux from the cost of Spyre',
			ratioVsSshCat: round(ratioRaw, 3),
			ratioVsSshCatExclHandshake: round((rawMs - hsMs) / wsMs, 3),
			ratioVsSshTtyCat: round(ratioPty, 3),
			ratioVsSshTtyInteractiveTmux: round(median(ttyTmux.map((r) => r.ms)) / wsMs, 3),
			targets: [
				judge({
					name: 'throughput ratio',
					figure: round(median(ttyTmux.map((r) => r.ms)) / wsMs, 3),
					unit: 'x',
					op: '>=',
					limit: THROUGHPUT_TARGET,
					versus: '`ssh -tt` into tmux on the same sshd, same typed command (sshTtyInteractiveTmux)'
				})
			]
		};
	} finally {
		await h.stop();
	}
}

// ---------------------------------------------------------------------------------------------------
// latency

/** A session to type into and how to end it. */
interface Session {
	io: KeyIo;
	close(): Promise<void>;
}

async function wsSession(h: Harness, env: Env, window: number): Promise<Session> {
	const term = await openTerminal(h, env.id, window, { cols: COLS, rows: ROWS });
	const subs = new Set<(c: Buffer) => void>();
	term.onData = (c) => subs.forEach((f) => f(c));
	return {
		io: {
			send: (s) => term.send(s),
			onData: (cb) => {
				subs.add(cb);
				return () => subs.delete(cb);
			}
		},
		close: () => term.close()
	};
}

async function sshTtySession(h: Harness, env: Env, program: string[]): Promise<Session> {
	const child = h.spawnSsh(h.sshArgs(env, program, true), ['pipe', 'pipe', 'pipe']);
	const exited = new Promise<void>((r) => child.once('exit', () => r()));
	return {
		io: {
			send: (s) => child.stdin!.write(s),
			onData: (cb) => {
				child.stdout!.on('data', cb);
				return () => child.stdout!.off('data', cb);
			}
		},
		async close() {
			child.stdin!.end('exit\r');
			await Promise.race([exited, sleep(2000)]);
			if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
		}
	};
}

async function ssh2Session(h: Harness, env: Env): Promise<Session> {
	const conn = new Ssh2Client();
	await new Promise<void>((resolve, reject) => {
		conn.once('ready', () => resolve());
		conn.once('error', reject);
		conn.connect({ host: env.ip, port: h.sshPort, username: 'root', privateKey: fs.readFileSync(h.key), readyTimeout: 5000 });
	});
	const stream = await new Promise<ClientChannel>((resolve, reject) =>
		conn.exec('bash --norc --noprofile -i', { pty: { term: 'xterm-256color', cols: COLS, rows: ROWS, width: 0, height: 0 } }, (err, s) =>
			err ? reject(err) : resolve(s)
		)
	).catch((err) => (conn.end(), Promise.reject(err)));
	return {
		io: {
			send: (s) => stream.write(s),
			onData: (cb) => {
				stream.on('data', cb);
				return () => stream.off('data', cb);
			}
		},
		async close() {
			stream.end('exit\r');
			conn.end();
		}
	};
}

/** Open the sessions, type into them in turns, close them all (also on failure). */
async function typeInto(open: Array<() => Promise<Session>>, n: number): Promise<Samples[]> {
	const sessions: Session[] = [];
	try {
		for (const o of open) sessions.push(await o());
		return await typeInTurns(
			sessions.map((s) => s.io),
			n
		);
	} finally {
		await Promise.all(sessions.map((s) => s.close().catch(() => {})));
	}
}

async function benchLatency(): Promise<Record<string, unknown>> {
	const h = await startHarness();
	try {
		const env = await h.createEnv('bench-lat');
		log(`environment ${env.id} at ${env.ip}`);
		// Warm the pool connection and the tmux server.
		await h.api('GET', `/api/environments/${env.id}/windows`);
		const window = await h.createWindow(env.id, 'latency');
		const killRawTmux = () => h.ssh(env, `tmux -L ${RAW_TMUX_SOCKET} kill-server 2>/dev/null; true`);
		// Fresh sessions every round; within a round the WebSocket and the baseline take turns key by key.
		const wsRounds: Samples[] = [];
		const tmuxRounds: Samples[] = [];
		const spyreTmuxRounds: Samples[] = [];
		for (let i = 0; i < LATENCY_ROUNDS; i++) {
			// A window of its own (two clients on one window would each see the other's echoes), new every
			// round: the `exit` that ends the ssh session ends the window's shell.
			const sshWindow = await h.createWindow(env.id, `latency-ssh-${i}`);
			const [w, t, st] = await typeInto(
				[() => wsSession(h, env, window), () => sshTtySession(h, env, RAW_TMUX), () => sshTtySession(h, env, spyreTmux(sshWindow, `bench-lat-${i}`))],
				LATENCY_KEYS
			).finally(killRawTmux);
			wsRounds.push(w);
			tmuxRounds.push(t);
			spyreTmuxRounds.push(st);
			const f = (r: Samples) => `p50 ${summary(r).p50} p99 ${summary(r).p99}`;
			log(`round ${i + 1}: ws ${f(w)}; ssh -tt tmux ${f(t)}; ssh -tt Spyre's tmux ${f(st)}`);
		}
		const ws = summary(pooled(wsRounds));
		const sshTtyTmux = summary(pooled(tmuxRounds));
		const sshTtySpyreTmux = summary(pooled(spyreTmuxRounds));
		const [bash, js] = await typeInto([() => sshTtySession(h, env, ['bash', '--norc', '--noprofile', '-i']), () => ssh2Session(h, env)], KEYSTROKES);
		const sshTty = summary(bash);
		const ssh2 = summary(js);
		log(`ssh -tt bash p50 ${sshTty.p50} p99 ${sshTty.p99}; ssh2 p50 ${ssh2.p50} p99 ${ssh2.p99}`);
		const delta = { p50: round(ws.p50 - sshTtyTmux.p50), p99: round(ws.p99 - sshTtyTmux.p99) };
		log(`latency p50 delta ${delta.p50} ms (no target), p99 delta ${delta.p99} ms, over ssh -tt into tmux`);
		return {
			method:
				`single letters typed into an interactive bash (readline echo), each after the previous echo plus a random 5-30 ms gap; ` +
				`Ctrl-U every 40 keys (not timed). ms from send to the first output chunk containing the letter. The WebSocket and ` +
				`ssh -tt tmux sessions (and ssh -tt into Spyre's tmux) are open together and take turns key by key: ${LATENCY_ROUNDS} rounds of ${LATENCY_KEYS} keys each ` +
				`(fresh sessions per round), percentiles over all samples. ssh -tt bash and ssh2 likewise, ${KEYSTROKES} keys.`,
			wsMs: ws,
			sshTtyTmuxMs: { ...sshTtyTmux, client: 'OpenSSH `ssh -tt host tmux -L spyre-bench-raw -f /dev/null new-session bash --norc` on the same sshd (the baseline)' },
			sshTtySpyreTmuxMs: { ...sshTtySpyreTmux, client: "OpenSSH `ssh -tt` into Spyre's tmux (its config, a grouped session), no Spyre server" },
			sshTtyMs: { ...sshTty, client: 'OpenSSH `ssh -tt host bash --norc -i` on pipes (no local tty, no tmux)' },
			ssh2PtyMs: { ...ssh2, client: 'ssh2 (the JS client Spyre uses) exec with a PTY, no tmux, no WebSocket' },
			byRound: wsRounds.map((r, i) => {
				const w = summary(r);
				const t = summary(tmuxRounds[i]);
				return { ws: { p50: w.p50, p99: w.p99 }, sshTtyTmux: { p50: t.p50, p99: t.p99 }, deltaP50: round(w.p50 - t.p50), deltaP99: round(w.p99 - t.p99) };
			}),
			overheadVsSshTtyTmuxMs: delta,
			overheadVsSshTtyMs: { p50: round(ws.p50 - sshTty.p50), p99: round(ws.p99 - sshTty.p99) },
			overheadSplitP50Ms: {
				spyreTmuxSetup: round(sshTtySpyreTmux.p50 - sshTtyTmux.p50),
				spyreServerHop: round(ws.p50 - sshTtySpyreTmux.p50),
				note: "Spyre's tmux over ssh -tt minus plain tmux over ssh -tt; the WebSocket path minus Spyre's tmux over ssh -tt (WS, Node, ssh2)"
			},
			targets: [
				judge({ name: 'latency p99 delta', figure: delta.p99, unit: 'ms', op: '<=', limit: LATENCY_P99_TARGET_MS, versus: 'over `ssh -tt` into tmux on the same sshd' })
			]
		};
	} finally {
		await h.stop();
	}
}

export const benches: Record<string, () => Promise<Record<string, unknown>>> = {
	'terminal-throughput': benchThroughput,
	'terminal-latency': benchLatency,
	'terminal-memory': benchMemory
};
