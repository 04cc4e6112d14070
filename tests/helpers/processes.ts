// Finding the processes a test started by what their command line names (a state or demo directory), for
// the last step of a stop: whatever a hard-killed parent left behind (it could not stop its own children)
// is killed by PID, so no run leaves a process on the machine.
import fs from 'node:fs';

/** PIDs of processes (other than this one) whose command line contains `text`. */
export function processesNaming(text: string): number[] {
	const pids: number[] = [];
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
		try {
			if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
		} catch {
			// gone already
		}
	}
	return pids;
}

/** SIGKILL every process whose command line contains `text`; returns how many there were. */
export function killProcessesNaming(text: string): number {
	const pids = processesNaming(text);
	for (const pid of pids) {
		try {
			process.kill(pid, 'SIGKILL');
		} catch {
			// gone already
		}
	}
	return pids.length;
}
