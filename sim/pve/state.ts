// The simulator's persistent state: CTs, their configs and addresses, the read-only VMs, tasks, the
// token secret and the address allocator. Owns the one JSON file in the state dir and writes it
// atomically (tmp + rename). Knows nothing about processes or HTTP.
import { randomUUID, randomInt } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type CtConfig = Record<string, string | number>;

/** What a CT's root filesystem stands on (rootfs.ts lowerLayers). */
export interface CtRootfs {
	/** The template volid it was created from (e.g. `local:vztmpl/debian-12-standard_12.15-1_amd64.tar.zst`). */
	template: string;
	/** Linked-clone parents whose upper layers lie under this CT's, nearest first (vmids); [] for a create. */
	parents: number[];
}

export interface CtRecord {
	vmid: number;
	node: string;
	/** The flat PVE config (hostname, cores, memory, swap, rootfs, net0, ostype, arch, unprivileged, ...). */
	conf: CtConfig;
	lock?: string;
	/** Loopback address the CT's sshd binds to. */
	address: string;
	/** What /interfaces reports as eth0's inet (address/prefix). */
	inet: string;
	hwaddr: string;
	/** Desired state: true while the CT should be running (survives a simulator restart). */
	running: boolean;
	startedAt?: number;
	createdAt: number;
	/** Snapshots, oldest first (snapshots.ts); their files are in DIR/cts/VMID/snapshots/NAME. */
	snapshots?: SnapshotRecord[];
	/** The snapshot the current state descends from. */
	parent?: string;
	/** Its root filesystem's layers; absent only on CTs of simulators older than real templates. */
	rootfs?: CtRootfs;
}

export interface SnapshotRecord {
	name: string;
	description: string;
	/** Unix seconds. */
	snaptime: number;
	parent?: string;
	/** The CT's config when the snapshot was taken (rollback restores it). */
	conf: CtConfig;
}

export interface VmRecord {
	vmid: number;
	node: string;
	name: string;
	cores: number;
	memoryMiB: number;
	diskGiB: number;
}

export interface TaskRecord {
	upid: string;
	node: string;
	type: string;
	id: string;
	user: string;
	pid: number;
	pstart: number;
	starttime: number;
	endtime?: number;
	status: 'running' | 'stopped';
	exitstatus?: string;
	log: string[];
}

export interface SimState {
	version: 1;
	tokenSecret: string;
	nextPid: number;
	/** Next loopback address to try for a CT, as a 32-bit integer. */
	addrCursor: number;
	cts: Record<string, CtRecord>;
	vms: Record<string, VmRecord>;
	tasks: TaskRecord[];
}

export const MAX_TASKS = 300;

export function ipToInt(ip: string): number {
	return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}
export function intToIp(n: number): string {
	return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function freshState(firstNode: string): SimState {
	return {
		version: 1,
		tokenSecret: randomUUID(),
		nextPid: 0x10000 + randomInt(0x70000),
		// Start at a random /24 inside 127.77.0.0/16 so that two simulators running side by side
		// (other test suites) rarely try the same address; allocation still probes before use.
		addrCursor: ipToInt(`127.77.${randomInt(0, 200)}.2`),
		cts: {},
		vms: {
			'900': { vmid: 900, node: firstNode, name: 'win11-build', cores: 4, memoryMiB: 8192, diskGiB: 64 },
			'901': { vmid: 901, node: firstNode, name: 'router-test', cores: 1, memoryMiB: 1024, diskGiB: 8 }
		},
		tasks: []
	};
}

export class StateStore {
	readonly file: string;
	state: SimState;

	constructor(
		readonly dir: string,
		firstNode: string
	) {
		mkdirSync(dir, { recursive: true });
		chmodSync(dir, 0o700);
		this.file = join(dir, 'state.json');
		this.state = existsSync(this.file) ? (JSON.parse(readFileSync(this.file, 'utf8')) as SimState) : freshState(firstNode);
		this.save();
	}

	save(): void {
		const tmp = `${this.file}.tmp-${process.pid}`;
		// It holds the API token secret: readable by the simulator's user only.
		writeFileSync(tmp, JSON.stringify(this.state, null, 1), { mode: 0o600 });
		renameSync(tmp, this.file);
	}

	ct(vmid: number): CtRecord | undefined {
		return this.state.cts[String(vmid)];
	}

	vmidTaken(vmid: number): { type: 'lxc' | 'qemu'; node: string } | null {
		const ct = this.state.cts[String(vmid)];
		if (ct) return { type: 'lxc', node: ct.node };
		const vm = this.state.vms[String(vmid)];
		if (vm) return { type: 'qemu', node: vm.node };
		return null;
	}

	nextFreeVmid(): number {
		let id = 100;
		while (this.vmidTaken(id)) id++;
		return id;
	}

	addTask(t: TaskRecord): void {
		this.state.tasks.push(t);
		if (this.state.tasks.length > MAX_TASKS) {
			// Drop the oldest finished tasks; running ones are kept.
			const excess = this.state.tasks.length - MAX_TASKS;
			let dropped = 0;
			this.state.tasks = this.state.tasks.filter((x) => (dropped < excess && x.status === 'stopped' ? (dropped++, false) : true));
		}
	}
}
