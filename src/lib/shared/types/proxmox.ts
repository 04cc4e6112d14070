// Spyre's typed view of the Proxmox VE 8 API objects it uses (shapes as the API viewer documents them,
// https://pve.proxmox.com/pve-docs/api-viewer/). Plain types only,
// safe to import anywhere; parsing and validation of the wire format live in $lib/server/proxmox.
// Normalised on the way in: `vmid` is always a number, 0/1 flags are booleans, `tags` is a list, metrics a
// missing field would leave undefined are 0, and hyphenated/snake API names become camelCase.

export type GuestState = 'running' | 'stopped' | 'unknown';

export interface ProxmoxVersion {
	version: string;
	release?: string;
	repoid?: string;
}

export interface NodeInfo {
	node: string;
	status: 'online' | 'offline' | 'unknown';
	id?: string;
	cpu: number;
	maxcpu: number;
	mem: number;
	maxmem: number;
	disk: number;
	maxdisk: number;
	uptime: number;
	/** Uppercase, colon-separated SHA-256 of the node's certificate. */
	sslFingerprint?: string;
}

interface GuestSummary {
	vmid: number;
	status: GuestState;
	name?: string;
	cpus: number;
	cpu: number;
	mem: number;
	maxmem: number;
	disk: number;
	maxdisk: number;
	uptime: number;
	netin: number;
	netout: number;
	diskread: number;
	diskwrite: number;
	tags: string[];
	/** e.g. `create`, `backup`, `migrate` while an operation holds the guest. */
	lock?: string;
	template: boolean;
	pid?: number;
}

export interface LxcSummary extends GuestSummary {
	type: 'lxc';
	swap: number;
	maxswap: number;
}

export interface VmSummary extends GuestSummary {
	type: 'qemu';
}

export interface LxcStatus extends LxcSummary {
	ha?: { managed: boolean; state?: string };
}

export interface ClusterResource {
	/** `lxc/101` or `qemu/100`. */
	id: string;
	type: 'lxc' | 'qemu';
	vmid: number;
	node: string;
	/** A brand-new CT may briefly report `unknown`. */
	status: GuestState;
	name?: string;
	maxcpu: number;
	cpu: number;
	mem: number;
	maxmem: number;
	disk: number;
	maxdisk: number;
	uptime: number;
	template: boolean;
	tags: string[];
	lock?: string;
}

/** The CT config: the common keys typed, every key (as sent) in `raw`. */
export interface LxcConfig {
	hostname?: string;
	cores?: number;
	memory?: number;
	swap?: number;
	/** e.g. `local-lvm:vm-101-disk-0,size=8G` */
	rootfs?: string;
	/** e.g. `name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:01,ip=dhcp,type=veth` */
	net0?: string;
	features?: string;
	unprivileged?: boolean;
	onboot?: boolean;
	nameserver?: string;
	searchdomain?: string;
	ostype?: string;
	arch?: string;
	description?: string;
	tags: string[];
	lock?: string;
	digest?: string;
	raw: Record<string, string | number>;
}

export interface LxcInterfaceAddress {
	address: string;
	/** `inet` or `inet6` */
	type: string;
	prefix?: number;
}

export interface LxcInterface {
	name: string;
	hwaddr?: string;
	/** IPv4 with prefix, e.g. `10.0.0.5/24` */
	inet?: string;
	inet6?: string;
	ipAddresses: LxcInterfaceAddress[];
}

/** A task's state: the fields its UPID encodes, plus what Proxmox reports of it. */
export interface TaskStatus extends Upid {
	upid: string;
	tokenid?: string;
	status: 'running' | 'stopped';
	/** `OK`, `WARNINGS: N` (both success) or the error text; set once stopped. */
	exitstatus?: string;
}

export interface TaskLogLine {
	n: number;
	t: string;
}

export interface TaskLog {
	/** Total number of lines in the log so far. */
	total: number;
	lines: TaskLogLine[];
}

export interface StorageContent {
	volid: string;
	content: string;
	format?: string;
	size: number;
	ctime?: number;
}

/** One storage of a node (`GET /nodes/{node}/storage`). */
export interface NodeStorage {
	storage: string;
	type: string;
	/** Content types it holds (`rootdir`, `images`, `vztmpl`, …). */
	content: string[];
	/** Shared storages are reachable from every node: a clone may land on another node only from one. */
	shared: boolean;
	active: boolean;
	total: number;
	avail: number;
}

export interface StorageTemplate extends StorageContent {
	content: 'vztmpl';
	/** File name of the template, e.g. `debian-12-standard_12.7-1_amd64.tar.zst`. */
	name: string;
}

export interface Upid {
	node: string;
	pid: number;
	pstart: number;
	starttime: number;
	/** e.g. `vzcreate`, `vzstart`, `vzdestroy` */
	type: string;
	id: string;
	/** `root@pam`, or `root@pam!tokenid` when started by an API token. */
	user: string;
}

export interface CreateLxcParams {
	vmid: number;
	/** A template volid, e.g. `local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst`. */
	ostemplate: string;
	hostname: string;
	cores: number;
	/** MiB */
	memory: number;
	/** MiB */
	swap?: number;
	rootfs: { storage: string; sizeGb: number };
	net0: { bridge: string; ip: 'dhcp' | { cidr: string; gw?: string } };
	features?: { nesting?: boolean };
	unprivileged?: boolean;
	/** OpenSSH public keys; sent newline-separated. */
	sshPublicKeys?: string | string[];
	start?: boolean;
	password?: string;
	tags?: string | string[];
	description?: string;
	onboot?: boolean;
	nameserver?: string;
	searchdomain?: string;
	pool?: string;
}
