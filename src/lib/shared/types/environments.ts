// What the browser and API clients see of an environment: Spyre's metadata merged with Proxmox's live
// state. Plain data, safe to send to any signed-in user (no secrets).

export type EnvironmentStatus =
	'pending' | 'creating' | 'starting' | 'waiting_network' | 'verifying_ssh' | 'provisioning' | 'running' | 'stopping' | 'stopped' | 'destroying' | 'error' | 'missing' | 'unknown';

export const BUSY_STATUSES: readonly EnvironmentStatus[] = ['pending', 'creating', 'starting', 'waiting_network', 'verifying_ssh', 'provisioning', 'stopping', 'destroying'];

export const STATUS_LABELS: Record<EnvironmentStatus, string> = {
	pending: 'Queued',
	creating: 'Creating',
	starting: 'Starting',
	waiting_network: 'Waiting for network',
	verifying_ssh: 'Checking SSH',
	provisioning: 'Provisioning',
	running: 'Running',
	stopping: 'Stopping',
	stopped: 'Stopped',
	destroying: 'Destroying',
	error: 'Error',
	missing: 'Missing',
	unknown: 'Unknown'
};

export interface EnvironmentView {
	id: string;
	hostname: string;
	node: string;
	vmid: number | null;
	origin: 'created' | 'adopted';
	status: EnvironmentStatus;
	/** Proxmox's own word for the CT right now, when known. */
	liveStatus: 'running' | 'stopped' | 'unknown' | null;
	ip: string | null;
	template: string | null;
	cores: number | null;
	memoryMb: number | null;
	diskGb: number | null;
	/** From Proxmox when the CT is known there. */
	cpu: number | null;
	memUsed: number | null;
	uptime: number | null;
	lock: string | null;
	error: string | null;
	errorStep: string | null;
	hostKeyPinned: boolean;
	/** Spyre stopped it on its own: idle for its idle time, or its schedule (null otherwise, and while it runs). */
	stoppedBy: 'idle' | 'schedule' | null;
	/** Set while this environment is a clone made for an attempt set (its comparison page groups them). */
	attemptSetId: string | null;
	createdAt: number;
	updatedAt: number;
}

/** A CT on the cluster that Spyre does not manage (can be adopted), or a VM (read-only). */
export interface GuestView {
	type: 'lxc' | 'qemu';
	vmid: number;
	node: string;
	name: string | null;
	status: 'running' | 'stopped' | 'unknown';
	maxcpu: number;
	maxmem: number;
	maxdisk: number;
	uptime: number;
	lock: string | null;
	template: boolean;
}

export interface NodeView {
	node: string;
	status: 'online' | 'offline' | 'unknown';
	maxcpu: number;
	maxmem: number;
	maxdisk: number;
}

export type RunKind = 'create' | 'provision' | 'start' | 'stop' | 'destroy';
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';
export type RunPhase = 'create' | 'helper' | 'provision';

export interface RunEventView {
	seq: number;
	ts: number;
	kind: 'step' | 'log' | 'output' | 'warning' | 'error' | 'status';
	step: string | null;
	message: string;
	/** The phase the run was in (provisioning); absent when the run has no phases. */
	phase?: RunPhase;
	/** On step events that carry progress: step i of n within the phase, and the run's overall percent. */
	index?: number;
	total?: number;
	percent?: number;
}

/** One recorded run (create, provision, start, stop, destroy) with its newest events, oldest first. */
export interface RunView {
	id: number;
	environmentId: string;
	kind: RunKind;
	status: RunStatus;
	phase: RunPhase | null;
	step: string | null;
	/** 0-100 when the run reports progress, else null. */
	percent: number | null;
	error: string | null;
	/** The config the run was built from (provision runs), as its name and the YAML used. */
	configName: string | null;
	/** Which version of that config (its history number); null for runs recorded before versions. */
	configVersion: number | null;
	configSnapshot: string | null;
	startedAt: number;
	finishedAt: number | null;
	/** The run's newest events (or one page of them); `earlierEvents` more came before the first one here. */
	events: RunEventView[];
	earlierEvents?: number;
}

/** A run as the environment page lists it: no events, no snapshot (its log is fetched when opened). */
export type RunSummary = Omit<RunView, 'events' | 'configSnapshot' | 'earlierEvents'>;

export interface InventoryView {
	environments: EnvironmentView[];
	unmanaged: GuestView[];
	vms: GuestView[];
	nodes: NodeView[];
	/** Set when Proxmox could not be asked: the list then shows Spyre's records only. */
	proxmoxError: string | null;
	fetchedAt: number;
}

export interface CreateEnvironmentInput {
	hostname: string;
	template: string;
	cores: number;
	memory: number;
	disk: number;
	node?: string;
}
