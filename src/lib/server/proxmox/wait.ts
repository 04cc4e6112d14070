// Waiting on Proxmox: a task until it stops (streaming its log as it grows), a CT until it has an IPv4 address.
// Both poll with growing intervals under one deadline (underDeadline).

import type { LxcInterface, TaskLog, TaskLogLine, TaskStatus } from '$lib/shared/types/proxmox';
import { formatMs, isTaskSuccess, ProxmoxError, ProxmoxTaskError } from './errors';
import { reportedIpv4s } from './interfaces';
import type { CallOptions, WaitForIpOptions, WaitForTaskOptions } from './options';
import { sleep } from './sleep';
import { parseUpid } from './upid';

/** The reads waitForTask needs (the client passes itself). */
export interface TaskReader {
	getTaskStatus(node: string, upid: string, opts: CallOptions): Promise<TaskStatus>;
	getTaskLog(node: string, upid: string, opts: CallOptions & { start?: number; limit?: number }): Promise<TaskLog>;
}

/** The read waitForIp needs (the client passes itself). */
export interface InterfaceReader {
	getLxcInterfaces(node: string, vmid: number, opts: CallOptions): Promise<LxcInterface[]>;
}

const LOG_PAGE = 500;
/** Log lines a failed task's error keeps. */
const TAIL_LINES = 50;

/** Reads the log from where the last read stopped, so each line reaches `onLog` once, in order. */
function logFollower(reader: TaskReader, node: string, upid: string, signal: AbortSignal, onLog?: (line: TaskLogLine) => void) {
	const tail: TaskLogLine[] = [];
	let seen = 0;
	const drain = async () => {
		for (;;) {
			const page = await reader.getTaskLog(node, upid, { start: seen, limit: LOG_PAGE, signal });
			// PVE answers an empty log with a placeholder line 1 "no content": not a real line, do not count it.
			if (seen === 0 && page.lines.length === 1 && page.lines[0].t === 'no content' && page.total <= 1) return;
			let progressed = false;
			for (const line of page.lines) {
				if (line.n <= seen) continue; // a server that ignores `start` must not make us repeat lines
				seen = line.n;
				progressed = true;
				tail.push(line);
				if (tail.length > TAIL_LINES) tail.shift();
				onLog?.(line);
			}
			if (!progressed || page.lines.length < LOG_PAGE || seen >= page.total) return;
		}
	};
	return { drain, tail };
}

/**
 * Runs `poll` under a deadline joined to the caller's signal. The caller's abort passes through unchanged (UI
 * code ignores it as an abort); the deadline becomes a ProxmoxError of kind 'timeout' saying what was awaited.
 */
async function underDeadline<T>(timeoutMs: number, callerSignal: AbortSignal | undefined, timedOut: { endpoint: string; message: string }, poll: (signal: AbortSignal) => Promise<T>): Promise<T> {
	const deadline = AbortSignal.timeout(timeoutMs);
	const signal = callerSignal ? AbortSignal.any([callerSignal, deadline]) : deadline;
	try {
		return await poll(signal);
	} catch (err) {
		if (callerSignal?.aborted) throw callerSignal.reason;
		if (deadline.aborted) throw new ProxmoxError({ kind: 'timeout', cause: err, ...timedOut });
		throw err;
	}
}

/**
 * Polls a task until it stops, streaming each new log line to `onLog`. Resolves with the final status when
 * the exit status is `OK` or `WARNINGS: N`; otherwise throws a ProxmoxTaskError whose message is the exit
 * status (e.g. `unable to create CT 101 - ...`). Past the deadline: a ProxmoxError of kind 'timeout'.
 */
export async function waitForTask(reader: TaskReader, node: string, upid: string, timeoutMs: number, opts: WaitForTaskOptions = {}): Promise<TaskStatus> {
	const u = parseUpid(upid);
	const what = u ? `${u.type}${u.id ? ` for ${u.id}` : ''}` : upid;
	const timedOut = {
		endpoint: 'GET /nodes/{node}/tasks/{upid}/status',
		message: `Proxmox task ${what} on node ${node} did not finish within ${formatMs(timeoutMs)} (${upid}).`
	};
	return underDeadline(timeoutMs, opts.signal, timedOut, async (signal) => {
		const max = opts.poll?.maxMs ?? 2000;
		const log = logFollower(reader, node, upid, signal, opts.onLog);
		let delay = opts.poll?.initialMs ?? 250;
		for (;;) {
			const status = await reader.getTaskStatus(node, upid, { signal });
			const stopped = status.status === 'stopped';
			const ok = stopped && isTaskSuccess(status.exitstatus);
			// Without a listener the log is only worth reading for a failure's last lines.
			if (opts.onLog || (stopped && !ok)) await log.drain();
			if (ok) return status;
			if (stopped) throw new ProxmoxTaskError(status, log.tail);
			await sleep(delay, signal);
			delay = Math.min(max, Math.round(delay * 1.5));
		}
	});
}

/**
 * Waits until the CT reports an IPv4 address on an interface other than `lo` that `opts.accept` allows
 * (DHCP leases are only visible via `/interfaces`, PVE >= 8.1, and come from inside the CT). On timeout the
 * message names what was reported and why it was refused. A static `ip=` needs no waiting.
 */
export async function waitForIp(reader: InterfaceReader, node: string, vmid: number, timeoutMs: number, opts: WaitForIpOptions = {}): Promise<string> {
	const timedOut = {
		endpoint: 'GET /nodes/{node}/lxc/{vmid}/interfaces',
		message: `CT ${vmid} on node ${node} reported no IPv4 address within ${formatMs(timeoutMs)}; is it running and does DHCP answer on its bridge?`
	};
	const accept = opts.accept ?? (() => null);
	return underDeadline(timeoutMs, opts.signal, timedOut, async (signal) => {
		let delay = opts.intervalMs ?? 500;
		for (;;) {
			const reported = reportedIpv4s(await reader.getLxcInterfaces(node, vmid, { signal }));
			const ip = reported.find((a) => accept(a) === null);
			if (ip) return ip;
			if (reported.length > 0) {
				// Kept for the timeout message: the CT answers, but with nothing Spyre may use.
				const why = reported.map((a) => `${a} ${accept(a)}`).join('; ');
				timedOut.message = `CT ${vmid} on node ${node} reported no usable IPv4 address within ${formatMs(timeoutMs)}: ${why}.`;
			}
			await sleep(delay, signal);
			delay = Math.min(delay * 2, 3000);
		}
	});
}
