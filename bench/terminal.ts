// Terminal benchmarks (`npm run bench terminal-throughput terminal-latency terminal-memory`), each against
// the Proxmox simulator (CTs are real sshd processes on 127.77.x.y) and the built Spyre (`node server.js`):
//
// - terminal-throughput: `cat` of a 64 MiB printable file (`--mib N`) typed into an interactive terminal,
//   `--runs N` sessions per path (default 5), interleaved; every figure is the median over the sessions.
//   Each run counts the bytes the client received until the end marker: bytes/elapsed is the throughput
//   the client saw. Through tmux, tmux redraws the screen instead of forwarding every byte when its client
//   falls behind, so a slow pump receives less yet finishes about as fast: time-to-marker hides it (seen:
//   Spyre's socket got 5.0 MB where `ssh -tt` into tmux got 18.2 MB of the same 64 MiB). So two verdicts:
//   delivered bytes/s through tmux (Spyre's WebSocket vs `ssh -tt` into a plain tmux), and a path without
//   tmux where every byte must arrive: Spyre's SSH pool and output pump serving a PTY over a WebSocket
//   (bench/lib/raw-pty-server.ts) vs `ssh -tt host bash`. Also reported: `ssh host cat` (no PTY) and
//   `ssh -tt` into Spyre's own tmux.
// - terminal-latency: keystroke -> exact echo time of single characters typed into bash through the
//   WebSocket path, against `ssh -tt` into a plain tmux on the same sshd (the target's baseline, typed into
//   in turns with the WebSocket session, key by key), `ssh -tt` into Spyre's own tmux (splits the overhead),
//   `ssh -tt host bash --norc` (OpenSSH client on pipes) and an ssh2 PTY shell. A key with no exact echo
//   within 3 s is a miss at +Infinity in the percentiles (bench/lib/keystrokes.ts). `--rounds N --keys N`.
// - terminal-memory: Spyre server RSS per open terminal after a forced GC, worst round
//   (bench/terminal-memory.ts).
//
// Targets (issue 12), printed with their figures and met / not met: latency p99 at most +0.5 ms over
// `ssh -tt` into tmux; throughput at least 0.95x (Spyre's pump vs `ssh -tt` without tmux, and delivered
// bytes/s through tmux vs `ssh -tt` into tmux); server memory at most 64 KiB per open terminal.
//
// Every process a benchmark starts (simulator, server, ssh children) is stopped by PID in a finally block.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import fs from 'node:fs';
import { Client as Ssh2Client, type ClientChannel } from 'ssh2';
import { KEY_TIMEOUT_MS, pooled, report, summary, typeInTurns, type KeyIo, type Samples } from './lib/keystrokes';
import { intFlag } from './lib/flags';
import { formatBytes } from './lib/stats';
import { judge } from './lib/targets';
import { benchMemory } from './terminal-memory';
import { COLS, ROWS, connectTerminal, log, median, openTerminal, round, sleep, startHarness, waitQuiet, watchFor, type Env, type Harness, type Term } from './lib/terminal-harness';

const BIG = '/tmp/spyre-bench-big.txt';
const LINE = 'spyre-throughput-line\n';
const THROUGHPUT_TARGET = 0.95;
const LATENCY_P99_TARGET_MS = 0.5;
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
/**
 * tmux without Spyre: a separate server (-L), default config but the status line off as in Spyre's (its
 * clock redraws would add bytes to the throughput baseline and could land between a key and its echo),
 * `-u` and TERM as Spyre uses them.
 */
const RAW_TMUX_SOCKET = 'spyre-bench-raw';
const RAW_TMUX = [
	...STTY_SIZE,
	'env',
	'TERM=xterm-256color',
	'LANG=C.UTF-8',
	'tmux',
	'-u',
	'-L',
	RAW_TMUX_SOCKET,
	'-f',
	'/dev/null',
	'new-session',
	'bash',
	'--norc',
	'--noprofile',
	'\\;',
	'set-option',
	'-g',
	'status',
	'off'
];
/**
 * Spyre's own tmux (its server, config and session), attached the way Spyre attaches (a grouped session per
 * client), but over `ssh -tt` instead of Spyre: splits the WebSocket path's extra time into what Spyre's
 * tmux set-up costs and what the hop through the Spyre server costs. `\\;` reaches the remote shell as `\;`.
 */
const spyreTmux = (window: number, name: string) => [
	...STTY_SIZE,
	'env',
	'TERM=xterm-256color',
	'LANG=C.UTF-8',
	'tmux',
	'-u',
	'-L',
	'spyre',
	'new-session',
	'-t',
	'=spyre',
	'-s',
	name,
	'\\;',
	'set-option',
	'destroy-unattached',
	'on',
	'\\;',
	'select-window',
	'-t',
	`:${window}`
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

/** One timed `cat` in an interactive terminal: time to the end marker and the bytes that arrived meanwhile. */
interface CatRun {
	ms: number;
	/** Bytes the client received between sending the command and the marker. */
	bytes: number;
}

/** Delivered throughput of one run: bytes that reached the client per second, in MiB/s. */
const delivered = (r: CatRun) => r.bytes / MiB / (r.ms / 1000);

/** Type `cat FILE; echo marker` into an open terminal WebSocket; time to the marker, count the bytes. */
async function catOverTerm(term: Term, file: string): Promise<CatRun> {
	try {
		await termQuiet(term);
		const before = term.bytes;
		const marker = watchFor('__DONE__');
		const done = new Promise<number>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error('no end marker after 120 s')), 120_000);
			term.onData = (chunk) => {
				if (marker.feed(chunk)) {
					clearTimeout(timer);
					term.onData = null;
					resolve(performance.now());
				}
			};
			void term.closed.then((c) => reject(new Error(`terminal closed ${c.code} ${c.reason} during cat`)));
		});
		const t0 = performance.now();
		// The quotes split the marker, so the echoed command line does not match it.
		term.send(`cat ${file}; echo __DO''NE__\r`);
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
async function sshTtyInteractiveCat(h: Harness, env: Env, program: string[], file: string): Promise<CatRun> {
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
			const timer = setTimeout(() => reject(new Error(`no end marker after 120 s (${program.join(' ')})`)), 120_000);
			sink = (c) => {
				if (marker.feed(c)) {
					clearTimeout(timer);
					sink = null;
					resolve(performance.now());
				}
			};
			child.stdin!.write(`cat ${file}; echo __DO''NE__\r`);
		});
		return { ms: t1 - t0, bytes: bytes - before };
	} finally {
		if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGTERM');
		await Promise.race([exited, sleep(2000)]);
		if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
	}
}

/**
 * Start bench/lib/raw-pty-server.ts (Spyre's SSH pool and output pump, no tmux) for `env`; resolves with
 * a function that opens a terminal on it, and a stop that kills the child by PID.
 */
async function startRawPump(h: Harness, env: Env): Promise<{ open(): Promise<Term>; stop(): Promise<void> }> {
	const child = spawn(process.execPath, ['--import', 'tsx', 'bench/lib/raw-pty-server.ts'], {
		stdio: ['pipe', 'pipe', 'pipe'],
		env: { ...process.env, SPYRE_BENCH_KEY: h.key, SPYRE_BENCH_HOST: env.ip, SPYRE_BENCH_PORT: String(h.sshPort) }
	});
	const exited = new Promise<void>((r) => child.once('exit', () => r()));
	const stop = async () => {
		child.stdin!.end();
		await Promise.race([exited, sleep(3000)]);
		if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
	};
	let err = '';
	child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
	try {
		const { port, token } = await new Promise<{ port: number; token: string }>((resolve, reject) => {
			let out = '';
			const timer = setTimeout(() => reject(new Error(`raw PTY server did not start in 60 s: ${err}`)), 60_000);
			child.stdout!.on('data', (d: Buffer) => {
				out += d.toString();
				const m = /\{"port":(\d+),"token":"([0-9a-f]+)"\}/.exec(out);
				if (m) {
					clearTimeout(timer);
					resolve({ port: Number(m[1]), token: m[2] });
				}
			});
			void exited.then(() => reject(new Error(`raw PTY server exited ${child.exitCode}: ${err}`)));
		});
		const url = new URL(`ws://127.0.0.1:${port}/?cols=${COLS}&rows=${ROWS}&token=${token}`);
		return { open: () => connectTerminal(url, {}, 'raw PTY terminal'), stop };
	} catch (e) {
		await stop();
		throw e;
	}
}

async function benchThroughput(): Promise<Record<string, unknown>> {
	const fileBytes = intFlag('mib', 64) * MiB;
	const runs = intFlag('runs', 5);
	const h = await startHarness();
	let raw: Awaited<ReturnType<typeof startRawPump>> | undefined;
	try {
		const env = await h.createEnv('bench-tp');
		log(`environment ${env.id} at ${env.ip}`);
		const mk = await h.ssh(env, `yes spyre-throughput-line | head -c ${fileBytes} > ${BIG} && stat -c %s ${BIG}`, 60_000);
		if (mk.code !== 0 || Number(mk.stdout.trim()) !== fileBytes) throw new Error(`could not create ${BIG}: ${mk.code} ${mk.stdout} ${mk.stderr}`);
		const lines = Math.ceil(fileBytes / LINE.length);
		/** What a PTY delivers of the file when nothing is dropped: every LF becomes CR LF (onlcr). */
		const fullPtyBytes = fileBytes + lines;
		raw = await startRawPump(h, env);

		const windows: number[] = [];
		for (let i = 0; i < runs; i++) windows.push(await h.createWindow(env.id, `tp-${i}`));

		// Warm-up: page cache, the pool's SSH connection, ssh client start-up, the raw pump's pool.
		await spawnTimed(h, h.sshArgs(env, ['cat', BIG], false), false);
		await catOverTerm(await raw.open(), '/dev/null');

		const handshake: number[] = [];
		for (let i = 0; i < 3; i++) handshake.push((await spawnTimed(h, h.sshArgs(env, ['true'], false), false)).ms);

		const ws: CatRun[] = [];
		const ttyTmux: CatRun[] = [];
		const ttySpyreTmux: CatRun[] = [];
		const pump: CatRun[] = [];
		const ttyBash: CatRun[] = [];
		const sshCat: number[] = [];
		for (let i = 0; i < runs; i++) {
			// Interleaved, so drift (thermal, page cache, other load) hits every method alike.
			ws.push(await catOverTerm(await openTerminal(h, env.id, windows[i], { cols: COLS, rows: ROWS }), BIG));
			ttyTmux.push(await sshTtyInteractiveCat(h, env, RAW_TMUX, BIG));
			await h.ssh(env, `tmux -L ${RAW_TMUX_SOCKET} kill-server 2>/dev/null; true`);
			const own = await h.createWindow(env.id, `tp-ssh-${i}`);
			ttySpyreTmux.push(await sshTtyInteractiveCat(h, env, spyreTmux(own, `bench-tp-${i}`), BIG));
			pump.push(await catOverTerm(await raw.open(), BIG));
			ttyBash.push(await sshTtyInteractiveCat(h, env, ['bash', '--norc', '--noprofile', '-i'], BIG));
			sshCat.push((await spawnTimed(h, h.sshArgs(env, ['cat', BIG], false), false)).ms);
			const f = (r: CatRun) => `${Math.round(r.ms)} ms, ${formatBytes(r.bytes)} = ${round(delivered(r), 1)} MiB/s`;
			log(
				`run ${i + 1}/${runs}: through tmux: Spyre ${f(ws[i])}; ssh -tt tmux ${f(ttyTmux[i])}; ssh -tt Spyre's tmux ${f(ttySpyreTmux[i])}. ` +
					`No tmux: Spyre's pump ${f(pump[i])}; ssh -tt bash ${f(ttyBash[i])}`
			);
		}
		// Without tmux nothing may be dropped: a short run means the figure is not a throughput.
		for (const [name, rs] of [
			['pump', pump],
			['ssh -tt bash', ttyBash]
		] as const) {
			const short = rs.find((r) => r.bytes < fullPtyBytes);
			if (short) throw new Error(`${name} delivered ${short.bytes} of ${fullPtyBytes} bytes without tmux: output was lost`);
		}
		const med = (rs: CatRun[]) => ({
			ms: Math.round(median(rs.map((r) => r.ms))),
			bytes: median(rs.map((r) => r.bytes)),
			deliveredMiBps: round(median(rs.map(delivered)), 1),
			timeToMarkerMiBps: round(fileBytes / MiB / (median(rs.map((r) => r.ms)) / 1000), 1)
		});
		const perRun = (rs: CatRun[]) => rs.map((r) => ({ ms: Math.round(r.ms), bytes: r.bytes, deliveredMiBps: round(delivered(r), 1) }));
		const pumpRatio = median(pump.map(delivered)) / median(ttyBash.map(delivered));
		const tmuxRatio = median(ws.map(delivered)) / median(ttyTmux.map(delivered));
		const timeRatio = median(ttyTmux.map((r) => r.ms)) / median(ws.map((r) => r.ms));
		const hsMs = median(handshake);
		return {
			file: { path: BIG, bytes: fileBytes, size: formatBytes(fileBytes), content: `printable: \`yes spyre-throughput-line | head -c ${fileBytes}\` (${lines} lines of ${LINE.length} bytes)` },
			method:
				`\`cat FILE; echo __DO''NE__\` typed into an interactive ${COLS}x${ROWS} terminal; timed from sending it to receiving the marker, counting ` +
				'every byte the client received meanwhile. deliveredMiBps = bytes received / elapsed: the throughput a client saw. ' +
				'Through tmux it is the figure that counts: tmux redraws the screen instead of forwarding every byte when its client falls behind, ' +
				'so a slow path receives less and still finishes in about the same time (timeToMarkerMiBps = file size / elapsed hides that). ' +
				"Without tmux every byte must arrive (checked): Spyre's SSH pool and output pump (bench/lib/raw-pty-server.ts, the terminal " +
				"endpoint's water marks) serve a PTY running bash over a WebSocket, against `ssh -tt host bash` on the same sshd. " +
				`${runs} sessions per path, interleaved run by run; every figure is the median over the sessions.`,
			throughTmux: {
				spyre: { ...med(ws), runs: perRun(ws), path: 'WebSocket /api/terminal -> Spyre server -> SSH pool -> tmux attach (its own window per run)' },
				sshTtyTmux: { ...med(ttyTmux), runs: perRun(ttyTmux), path: '`ssh -tt host tmux -L spyre-bench-raw -f /dev/null new-session bash --norc` (status line off, as in Spyre)' },
				sshTtySpyreTmux: { ...med(ttySpyreTmux), runs: perRun(ttySpyreTmux), path: "`ssh -tt` into Spyre's own tmux (its config, a grouped session): Spyre's tmux without the Spyre server" },
				timeToMarkerRatioVsSshTtyTmux: round(timeRatio, 3),
				timeToMarkerNote: 'reported, not judged: tmux drops frames for a slow client, so finishing in time says little about throughput'
			},
			withoutTmux: {
				spyrePump: { ...med(pump), runs: perRun(pump), path: "WebSocket -> Spyre's output pump -> Spyre's SSH pool -> PTY running bash (no tmux)" },
				sshTtyBash: { ...med(ttyBash), runs: perRun(ttyBash), path: '`ssh -tt host bash --norc --noprofile -i` on pipes (no tmux)' },
				fullPtyBytes
			},
			sshCat: {
				ms: Math.round(median(sshCat)),
				MiBps: mibps(fileBytes, median(sshCat)),
				MiBpsExclHandshake: mibps(fileBytes, median(sshCat) - hsMs),
				sshHandshakeMs: Math.round(hsMs),
				note: '`ssh host cat FILE >/dev/null` (no PTY, wall time of the ssh client, connect and auth included): the ceiling of the link'
			},
			targets: [
				judge({
					name: "Spyre's pump throughput (no tmux)",
					figure: round(pumpRatio, 3),
					unit: 'x',
					op: '>=',
					limit: THROUGHPUT_TARGET,
					versus: "median bytes/s delivered by Spyre's pool + pump over a WebSocket / by `ssh -tt host bash`, same PTY, every byte delivered"
				}),
				judge({
					name: 'terminal throughput through tmux',
					figure: round(tmuxRatio, 3),
					unit: 'x',
					op: '>=',
					limit: THROUGHPUT_TARGET,
					versus: 'median bytes/s the Spyre WebSocket client received / that `ssh -tt` into tmux received, same typed command'
				})
			]
		};
	} finally {
		await raw?.stop();
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
		conn.exec('bash --norc --noprofile -i', { pty: { term: 'xterm-256color', cols: COLS, rows: ROWS, width: 0, height: 0 } }, (err, s) => (err ? reject(err) : resolve(s)))
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

/**
 * a - b for the latency deltas: +Infinity when Spyre's figure is a miss, NaN when only the baseline's is (the
 * comparison then proves nothing); either is "not met".
 */
function minus(a: number, b: number): number {
	if (!Number.isFinite(b)) return NaN;
	return Number.isFinite(a) ? round(a - b) : Infinity;
}

/** A delta for the JSON report (which has no Infinity or NaN). */
const shown = (n: number): number | string => (Number.isFinite(n) ? n : Number.isNaN(n) ? 'baseline missed' : 'miss');

async function benchLatency(): Promise<Record<string, unknown>> {
	const rounds = intFlag('rounds', LATENCY_ROUNDS);
	const keys = intFlag('keys', LATENCY_KEYS);
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
		for (let i = 0; i < rounds; i++) {
			// A window of its own (two clients on one window would each see the other's echoes), new every
			// round: the `exit` that ends the ssh session ends the window's shell.
			const sshWindow = await h.createWindow(env.id, `latency-ssh-${i}`);
			const [w, t, st] = await typeInto([() => wsSession(h, env, window), () => sshTtySession(h, env, RAW_TMUX), () => sshTtySession(h, env, spyreTmux(sshWindow, `bench-lat-${i}`))], keys).finally(
				killRawTmux
			);
			wsRounds.push(w);
			tmuxRounds.push(t);
			spyreTmuxRounds.push(st);
			const f = (r: Samples) => `p50 ${report(summary(r)).p50} p99 ${report(summary(r)).p99}${r.timeouts + r.mismatches ? ` (${r.timeouts} timed out, ${r.mismatches} wrong echo)` : ''}`;
			log(`round ${i + 1}: ws ${f(w)}; ssh -tt tmux ${f(t)}; ssh -tt Spyre's tmux ${f(st)}`);
		}
		const ws = summary(pooled(wsRounds));
		const sshTtyTmux = summary(pooled(tmuxRounds));
		const sshTtySpyreTmux = summary(pooled(spyreTmuxRounds));
		const [bash, js] = await typeInto([() => sshTtySession(h, env, ['bash', '--norc', '--noprofile', '-i']), () => ssh2Session(h, env)], keys);
		const sshTty = summary(bash);
		const ssh2 = summary(js);
		log(`ssh -tt bash p50 ${report(sshTty).p50} p99 ${report(sshTty).p99}; ssh2 p50 ${report(ssh2).p50} p99 ${report(ssh2).p99}`);
		const delta = { p50: minus(ws.p50, sshTtyTmux.p50), p99: minus(ws.p99, sshTtyTmux.p99) };
		log(`latency p50 delta ${delta.p50} ms (no target), p99 delta ${delta.p99} ms, over ssh -tt into tmux`);
		return {
			method:
				`single letters typed into an interactive bash (readline echo), each after the previous echo plus a random 5-30 ms gap; ` +
				`Ctrl-U every 40 keys (not timed). ms from send to the key's exact echo: the output since the send, escape sequences removed, is the letter ` +
				`and nothing else. No echo within ${KEY_TIMEOUT_MS} ms (timeouts) or other visible output first (mismatches) is a miss, counted at ` +
				`+Infinity in the percentiles (a miss in the slowest 1 % makes p99 a miss and its target not met). Each session first settles ` +
				`(untimed keys until three in a row echo exactly, so log-in notices and start-up redraws are not timed). The WebSocket and ` +
				`ssh -tt tmux sessions (and ssh -tt into Spyre's tmux) are open together and take turns key by key: ${rounds} rounds of ${keys} keys each ` +
				`(fresh sessions per round), nearest-rank percentiles over all keys. ssh -tt bash and ssh2 likewise, ${keys} keys.`,
			wsMs: report(ws),
			sshTtyTmuxMs: { ...report(sshTtyTmux), client: 'OpenSSH `ssh -tt host tmux -L spyre-bench-raw -f /dev/null new-session bash --norc` on the same sshd (the baseline)' },
			sshTtySpyreTmuxMs: { ...report(sshTtySpyreTmux), client: "OpenSSH `ssh -tt` into Spyre's tmux (its config, a grouped session), no Spyre server" },
			sshTtyMs: { ...report(sshTty), client: 'OpenSSH `ssh -tt host bash --norc -i` on pipes (no local tty, no tmux)' },
			ssh2PtyMs: { ...report(ssh2), client: 'ssh2 (the JS client Spyre uses) exec with a PTY, no tmux, no WebSocket' },
			byRound: wsRounds.map((r, i) => {
				const w = summary(r);
				const t = summary(tmuxRounds[i]);
				const [wr, tr] = [report(w), report(t)];
				return {
					ws: { p50: wr.p50, p99: wr.p99, misses: w.timeouts + w.mismatches },
					sshTtyTmux: { p50: tr.p50, p99: tr.p99, misses: t.timeouts + t.mismatches },
					deltaP50: shown(minus(w.p50, t.p50)),
					deltaP99: shown(minus(w.p99, t.p99))
				};
			}),
			overheadVsSshTtyTmuxMs: { p50: shown(delta.p50), p99: shown(delta.p99) },
			overheadVsSshTtyMs: { p50: shown(minus(ws.p50, sshTty.p50)), p99: shown(minus(ws.p99, sshTty.p99)) },
			overheadSplitP50Ms: {
				spyreTmuxSetup: shown(minus(sshTtySpyreTmux.p50, sshTtyTmux.p50)),
				spyreServerHop: shown(minus(ws.p50, sshTtySpyreTmux.p50)),
				note: "Spyre's tmux over ssh -tt minus plain tmux over ssh -tt; the WebSocket path minus Spyre's tmux over ssh -tt (WS, Node, ssh2)"
			},
			targets: [
				judge({
					name: 'latency p99 delta',
					figure: delta.p99,
					unit: 'ms',
					op: '<=',
					limit: LATENCY_P99_TARGET_MS,
					versus: 'over `ssh -tt` into tmux on the same sshd; a miss in either p99 makes it Infinity or NaN: not met'
				})
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
