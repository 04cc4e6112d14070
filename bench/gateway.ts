// `npm run bench gateway` (issue 20): `ssh` through Spyre's SSH gateway against `ssh` straight to the CT, on
// the same machine, with the real OpenSSH client both ways. The built server runs with ssh.gateway on a free
// loopback port; the CT is a simulator CT created through Spyre; the owner's key is added through the
// Settings form. Two figures, each judged on a ratio or a difference to the direct path:
// - throughput: `head -c N MiB /dev/zero` read to the end through each path (`--mib N`, `--runs N` rounds,
//   the two paths interleaved), bytes per second, medians; target ≥ 0.9 × direct;
// - keystroke echo: `ssh -tt` into a shell on each path, keys typed in turns (bench/lib/keystrokes.ts: a
//   key with no exact echo is a miss at +∞); target p50 ≤ +1 ms over direct.
// First and last rounds are printed beside the medians (a warm-up effect shows as a first round far off).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort } from '../tests/helpers/spyre';
import { intFlag } from './lib/flags';
import { summary, typeInTurns, type KeyIo } from './lib/keystrokes';
import { median, percentile, round } from './lib/stats';
import { judge } from './lib/targets';
import { log, startHarness, type Harness } from './lib/terminal-harness';

interface Path {
	name: 'direct' | 'gateway';
	args: (command: string[], tty: boolean) => string[];
}

const common = (knownHosts: string, key: string) => [
	'-F',
	'/dev/null',
	'-i',
	key,
	'-o',
	'IdentitiesOnly=yes',
	'-o',
	'IdentityAgent=none',
	'-o',
	'BatchMode=yes',
	'-o',
	`UserKnownHostsFile=${knownHosts}`,
	'-o',
	'GlobalKnownHostsFile=/dev/null',
	'-o',
	'LogLevel=ERROR',
	'-o',
	'ConnectTimeout=20'
];

/** Read `mib` MiB through one path; bytes per second, or 0 for a run that failed or timed out (a miss). */
function throughputOnce(h: Harness, p: Path, mib: number): Promise<number> {
	return new Promise((resolve) => {
		const t0 = performance.now();
		const child = spawn('ssh', p.args([`head -c ${mib * 1024 * 1024} /dev/zero`], false), { stdio: ['ignore', 'pipe', 'ignore'] });
		h.children.add(child);
		let bytes = 0;
		child.stdout.on('data', (d: Buffer) => (bytes += d.length));
		const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), 120_000);
		child.once('close', (code) => {
			clearTimeout(timer);
			h.children.delete(child);
			const s = (performance.now() - t0) / 1000;
			resolve(code === 0 && bytes === mib * 1024 * 1024 ? bytes / s : 0);
		});
	});
}

function ttySession(h: Harness, p: Path): { io: KeyIo; stop(): Promise<void> } {
	const child = spawn('ssh', p.args(['env PS1="$ " HISTFILE=/dev/null sh -i'], true), { stdio: ['pipe', 'pipe', 'ignore'] });
	h.children.add(child);
	const exited = new Promise<void>((r) => child.once('close', () => (h.children.delete(child), r())));
	return {
		io: {
			send: (s) => child.stdin.write(s),
			onData(cb) {
				child.stdout.on('data', cb);
				return () => child.stdout.off('data', cb);
			}
		},
		async stop() {
			child.stdin.end('exit\n');
			const t = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), 5000);
			await exited;
			clearTimeout(t);
		}
	};
}

async function addOwnerKey(h: Harness, pubKey: string): Promise<void> {
	const res = await fetch(new URL('/settings/ssh-keys?/add', h.spyre.url), {
		method: 'POST',
		headers: { cookie: h.cookie, origin: new URL(h.spyre.url).origin, 'content-type': 'application/x-www-form-urlencoded', 'x-sveltekit-action': 'true' },
		body: new URLSearchParams({ name: 'bench', key: pubKey })
	});
	const body = await res.text();
	if (!res.ok || !body.includes('"type":"success"')) throw new Error(`adding the key failed: HTTP ${res.status} ${body.slice(0, 300)}`);
}

export async function benchGateway(): Promise<Record<string, unknown>> {
	const mib = intFlag('mib', 64);
	const runs = intFlag('runs', 5);
	const keys = intFlag('keys', 300);
	const gwPort = await freePort();
	const h = await startHarness({ config: { ssh: { gateway: { listen: `127.0.0.1:${gwPort}` } } } });
	try {
		const env = await h.createEnv('gw-bench');
		const dir = h.spyre.dataDir;
		const ownerKey = path.join(dir, 'owner_ed25519');
		execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bench-owner', '-f', ownerKey], { stdio: 'ignore' });
		await addOwnerKey(h, fs.readFileSync(`${ownerKey}.pub`, 'utf8'));
		const gwPub = execFileSync('ssh-keygen', ['-y', '-f', path.join(dir, 'gateway_host_ed25519')], { encoding: 'utf8' }).trim();
		const gwKnown = path.join(dir, 'gw_known_hosts');
		fs.writeFileSync(gwKnown, `[127.0.0.1]:${gwPort} ${gwPub}\n`);
		const direct: Path = {
			name: 'direct',
			args: (cmd, tty) => [...(tty ? ['-tt'] : []), ...common('/dev/null', h.key), '-o', 'StrictHostKeyChecking=no', '-p', String(h.sshPort), `root@${env.ip}`, ...cmd]
		};
		const gateway: Path = {
			name: 'gateway',
			args: (cmd, tty) => [...(tty ? ['-tt'] : []), ...common(gwKnown, ownerKey), '-o', 'StrictHostKeyChecking=yes', '-p', String(gwPort), `gw-bench@127.0.0.1`, ...cmd]
		};

		log(`throughput: ${mib} MiB × ${runs} rounds per path, interleaved`);
		const tp: Record<'direct' | 'gateway', number[]> = { direct: [], gateway: [] };
		for (let i = 0; i < runs; i++) {
			for (const p of i % 2 === 0 ? [direct, gateway] : [gateway, direct]) tp[p.name].push(await throughputOnce(h, p, mib));
			log(`round ${i + 1}: direct ${round(tp.direct[i] / 2 ** 20)} MiB/s, gateway ${round(tp.gateway[i] / 2 ** 20)} MiB/s`);
		}
		const mibps = (v: number[]) => ({ median: round(median(v) / 2 ** 20), first: round(v[0] / 2 ** 20), last: round(v.at(-1)! / 2 ** 20), misses: v.filter((x) => x === 0).length });
		const ratio = median(tp.gateway) / median(tp.direct);

		log(`keystroke echo: ${keys} keys per path, in turns`);
		const sessions = [ttySession(h, direct), ttySession(h, gateway)];
		let echo;
		try {
			echo = await typeInTurns(
				sessions.map((s) => s.io),
				keys
			);
		} finally {
			await Promise.all(sessions.map((s) => s.stop()));
		}
		const [d, g] = echo.map(summary);
		const firstLast = (s: number[]) => ({ firstKeysP50: round(percentile(s.slice(0, 40), 50)), lastKeysP50: round(percentile(s.slice(-40), 50)) });
		return {
			mib,
			runs,
			throughputMiBps: { direct: mibps(tp.direct), gateway: mibps(tp.gateway) },
			echoMs: {
				direct: { ...d, p50: round(d.p50), p90: round(d.p90), p99: round(d.p99), ...firstLast(echo[0].samples) },
				gateway: { ...g, p50: round(g.p50), p90: round(g.p90), p99: round(g.p99), ...firstLast(echo[1].samples) }
			},
			targets: [
				judge({
					name: 'gateway throughput',
					figure: round(ratio, 3),
					unit: '×',
					op: '>=',
					limit: 0.9,
					versus: `gateway ${round(median(tp.gateway) / 2 ** 20)} MiB/s vs direct ${round(median(tp.direct) / 2 ** 20)} MiB/s, medians`
				}),
				judge({ name: 'gateway keystroke echo p50', figure: round(g.p50 - d.p50), unit: 'ms', op: '<=', limit: 1, versus: `gateway ${round(g.p50)} ms vs direct ${round(d.p50)} ms` })
			]
		};
	} finally {
		await h.stop();
	}
}
