// The provision benchmark's clock inside the CTs: how long the commands Spyre ran took in the container
// itself, seen from the host (the benchmark runs as root beside the simulator, whose CT processes are host
// processes). Every command Spyre runs over SSH is a shell that is a direct child of the CT's per-session
// sshd; this samples the process tree under each CT's init (DIR/cts/VMID/init.pid) every few milliseconds
// and records each such shell from its kernel start time to the last sample that saw it. SFTP servers are
// not counted (an SFTP session stays open between transfers: its idle time is not the container's work),
// nor is what a command left running in the background (no longer a child of sshd once its shell exits).
// Precision: a command's start to the kernel's 10 ms tick, its end to the sampling gap (reported).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, percentile, round } from './lib/stats';

export interface CtCommand {
	/** Epoch ms. */
	start: number;
	end: number;
	/** The first characters of its command line (the shell's `-c` argument). */
	what: string;
}

export interface CtClock {
	stop(): { commands: CtCommand[]; sampleGapMs: { median: number; max: number } };
}

const SAMPLE_MS = 5;
/** USER_HZ: /proc's process start times are in these ticks. */
const TICKS_PER_S = 100;

function read(file: string): string | null {
	try {
		return readFileSync(file, 'utf8');
	} catch {
		return null; // gone between listing and reading
	}
}

/** comm and start time (ticks since boot) of a process; fields after the parenthesised comm are split by spaces. */
function stat(pid: number): { comm: string; startTicks: number } | null {
	const s = read(`/proc/${pid}/stat`);
	if (!s) return null;
	const close = s.lastIndexOf(')');
	const fields = s.slice(close + 2).split(' ');
	// After comm: state is field 3 of the line, starttime field 22 → index 19 here.
	return { comm: s.slice(s.indexOf('(') + 1, close), startTicks: Number(fields[19]) };
}

function children(pid: number): number[] {
	const c = read(`/proc/${pid}/task/${pid}/children`);
	return c ? c.trim().split(/\s+/).filter(Boolean).map(Number) : [];
}

/** Its command line without a leading `SHELL -c`, shortened in the middle (bash execs a list's last command, so it may be that one's). */
function what(pid: number, comm: string): string {
	const words = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean);
	if (words[1] === '-c') words.splice(0, 2);
	const line = (words.join(' ') || comm).replace(/\s+/g, ' ');
	return line.length > 100 ? `${line.slice(0, 55)} … ${line.slice(-40)}` : line;
}

function uptimeMs(): number {
	return Number((read('/proc/uptime') ?? '0').split(' ')[0]) * 1000;
}

/** Start sampling the CTs of the simulator whose state dir is `stateDir`. */
export function startCtClock(stateDir: string): CtClock {
	const seen = new Map<string, CtCommand>();
	const gaps: number[] = [];
	let last = performance.now();
	const ctsDir = join(stateDir, 'cts');

	function sample(): void {
		const now = performance.now();
		gaps.push(now - last);
		last = now;
		const wall = Date.now();
		const up = uptimeMs();
		if (!existsSync(ctsDir)) return;
		for (const vmid of readdirSync(ctsDir)) {
			const init = Number(read(join(ctsDir, vmid, 'init.pid'))?.trim());
			if (!init) continue;
			const stack = [init];
			while (stack.length > 0) {
				const pid = stack.pop()!;
				const kids = children(pid);
				const parent = kids.length > 0 ? stat(pid) : null;
				for (const kid of kids) {
					stack.push(kid);
					if (parent?.comm !== 'sshd') continue;
					const st = stat(kid);
					if (!st || st.comm === 'sshd' || st.comm === 'sftp-server') continue;
					const key = `${kid}:${st.startTicks}`;
					const known = seen.get(key);
					if (known) {
						known.end = wall;
						// First seen as Spyre's wrapper, which then execs the command itself (ssh/exec-stream.ts);
						// read between two execs, the command line can be empty (then it shows the bare comm).
						if (known.what.startsWith('printf') || !known.what.includes(' ')) known.what = what(kid, st.comm);
					} else {
						const start = wall - (up - (st.startTicks * 1000) / TICKS_PER_S);
						seen.set(key, { start, end: wall, what: what(kid, st.comm) });
					}
				}
			}
		}
	}

	const timer = setInterval(sample, SAMPLE_MS);
	return {
		stop() {
			clearInterval(timer);
			sample();
			// No gap yet (a run shorter than one sample): 0, not NaN, in the report.
			const none = gaps.length === 0;
			return {
				commands: [...seen.values()].sort((a, b) => a.start - b.start),
				sampleGapMs: { median: none ? 0 : round(median(gaps), 1), max: none ? 0 : round(percentile(gaps, 100), 1) }
			};
		}
	};
}

/** Milliseconds of [from, to] during which at least one command ran (overlapping commands count once). */
export function busyMs(commands: CtCommand[], from: number, to: number): number {
	let total = 0;
	let cursor = from;
	for (const c of [...commands].sort((a, b) => a.start - b.start)) {
		const start = Math.max(c.start, cursor);
		const end = Math.min(c.end, to);
		if (end > start) {
			total += end - start;
			cursor = end;
		}
	}
	return total;
}
