// Creating an environment, in two halves so the provisioner can reuse the first phase inside its own job:
// `prepareCreate` validates the request against the cluster and inserts the row (status 'creating');
// `createContainer` does the work on Proxmox (VMID, create with Spyre's key, start, address, SSH verified).
// `createEnvironment` is the quick form's path: both halves, as a 'create' job.

import * as audit from '../audit';
import type { AuditActor } from '../audit';
import { getConfig } from '../env-config';
import { SpyreError, messageOf } from '../errors';
import { getProxmox, isProxmoxError } from '../proxmox';
import { startJob, type Run, type StepProgress } from '../jobs';
import type { CreateLxcParams } from '$lib/shared/types/proxmox';
import type { RunPhase } from '$lib/shared/types/environments';
import { afterFailedCreate, markFailed } from './failure';
import { getNodes } from './inventory';
import { nextFreeAddress } from './ip-pool';
import { findByHostname, insertEnvironment, listEnvironments, newEnvironmentId, type EnvironmentRow } from './repo';
import { announce, set, target } from './state';
import { bringUp, confirmRunning, followTask, type ProgressOf } from './steps';
import { validateCreate, validatePlatform, type CreatePlatform } from './validate';

/** Everything the Proxmox side of a create needs, decided (and validated) before the row exists. */
export interface CreateParams {
	hostname: string;
	template: string;
	cores: number;
	/** MiB */
	memory: number;
	swap: number;
	/** GiB */
	disk: number;
	storage: string;
	bridge: string;
	ip: 'dhcp' | { cidr: string; gw?: string };
	/** The address when it is fixed (no discovery needed), else null. */
	staticIp: string | null;
	nameserver?: string;
	nesting: boolean;
	onboot?: boolean;
	tags: string[];
}

export interface CreateOptions {
	/** Settings from a config beyond the quick form's fields. */
	platform?: CreatePlatform;
	/** The config the environment is built from, recorded on the row. */
	configName?: string | null;
}

export interface PreparedCreate {
	row: EnvironmentRow;
	params: CreateParams;
}

/**
 * The steps of a create, in order; a run reports step i of these. A `tools` step (tools.ts) runs between
 * `ssh` and `done` only when an environment lacks what Spyre needs, and reports `ssh`'s progress.
 */
export const CREATE_STEPS = ['allocate', 'create', 'start', 'network', 'ssh', 'done'] as const;

/**
 * Progress for the create steps inside a run: step i of n, and a percent spread over [from, to) so a
 * longer run (provisioning) can give the create phase its share of the bar.
 */
export function createProgress(opts: { phase?: RunPhase; from?: number; to?: number } = {}): ProgressOf {
	const { phase, from = 0, to = 100 } = opts;
	const total = CREATE_STEPS.length;
	return (step) => {
		const i = CREATE_STEPS.indexOf(step as (typeof CREATE_STEPS)[number]);
		if (i < 0) return undefined;
		const progress: StepProgress = { index: i + 1, total, percent: from + ((to - from) * i) / total };
		if (phase) progress.phase = phase;
		return progress;
	};
}

/** Nodes and templates to validate against; a Proxmox that does not answer is an error, not a guess. */
async function clusterFacts(input: Record<string, unknown>) {
	const cfg = getConfig().proxmox;
	const nodes = await getNodes().catch(() => []);
	const requestedNode = typeof input.node === 'string' && input.node ? input.node : cfg.node;
	let templates: string[] | null = null;
	try {
		templates = (await getProxmox().listTemplates(requestedNode, cfg.templateStorage)).map((t) => t.volid);
	} catch (err) {
		// Unknown node is reported by validation; anything else means Proxmox is not answering.
		if (!(isProxmoxError(err) && nodes.length > 0 && !nodes.some((n) => n.node === requestedNode))) throw err;
	}
	return {
		nodes,
		defaultNode: cfg.node,
		templates,
		isHostnameTaken: (h: string) => findByHostname(h) !== undefined
	};
}

/** The CT's network: the config's when it gives one, else environment.yaml's (DHCP or the next free address). */
function chooseNetwork(platform: CreatePlatform): Pick<CreateParams, 'ip' | 'staticIp' | 'nameserver'> {
	const net = getConfig().proxmox.network;
	if (platform.network === 'dhcp') return { ip: 'dhcp', staticIp: null, nameserver: platform.nameserver };
	if (platform.network) {
		const address = platform.network.cidr.split('/')[0];
		if (listEnvironments().some((r) => r.ip === address)) {
			throw new SpyreError('conflict', `Another environment already uses ${address}.`, { fields: { 'platform.network': `${address} is in use.` } });
		}
		return { ip: { ...platform.network }, staticIp: address, nameserver: platform.nameserver };
	}
	if (net.mode !== 'static') return { ip: 'dhcp', staticIp: null, nameserver: platform.nameserver };
	const staticIp = nextFreeAddress(
		net.rangeStart,
		net.rangeEnd,
		listEnvironments().map((r) => r.ip)
	);
	if (!staticIp) throw new SpyreError('conflict', 'The static address range in environment.yaml is used up.');
	return { ip: { cidr: `${staticIp}/${net.prefix}`, gw: net.gateway }, staticIp, nameserver: platform.nameserver ?? net.nameserver };
}

/** Validate a create request and insert its row (status 'creating'); starts no job and touches no CT. */
export async function prepareCreate(input: Record<string, unknown>, actor: AuditActor, options: CreateOptions = {}): Promise<PreparedCreate> {
	const facts = await clusterFacts(input);
	let valid;
	let platform: CreatePlatform;
	try {
		valid = validateCreate(input, facts);
		platform = validatePlatform(options.platform ?? {});
	} catch (err) {
		audit.record(actor, 'environment.create', typeof input.hostname === 'string' ? input.hostname.slice(0, 80) : null, 'failure', messageOf(err));
		throw err;
	}
	const params = paramsOf(valid.hostname, valid, platform);
	const row = insertRow(valid.node, params, actor, options.configName ?? null);
	announce(row);
	return { row, params };
}

/**
 * The create parameters for an existing row whose CT is gone (a retry of a failed create): the same
 * platform checks as `prepareCreate`, without inserting a row or re-checking the hostname it already owns.
 */
export function createParamsFor(row: EnvironmentRow, sizes: { template: string; cores: number; memory: number; disk: number }, platform: CreatePlatform): CreateParams {
	return paramsOf(row.hostname, sizes, validatePlatform(platform));
}

/** Create parameters from checked sizes and platform, with environment.yaml's defaults for what is unset. */
function paramsOf(hostname: string, sizes: { template: string; cores: number; memory: number; disk: number }, platform: CreatePlatform): CreateParams {
	const cfg = getConfig().proxmox;
	return {
		hostname,
		template: sizes.template,
		cores: sizes.cores,
		memory: sizes.memory,
		swap: platform.swap ?? 512,
		disk: sizes.disk,
		storage: platform.storage ?? cfg.storage,
		bridge: platform.bridge ?? cfg.bridge,
		...chooseNetwork(platform),
		nesting: platform.nesting ?? true,
		onboot: platform.onboot,
		tags: [...new Set(['spyre', ...(platform.tags ?? [])])]
	};
}

function insertRow(node: string, params: CreateParams, actor: AuditActor, configName: string | null): EnvironmentRow {
	try {
		return insertEnvironment({
			id: newEnvironmentId(),
			hostname: params.hostname,
			node,
			status: 'creating',
			template: params.template,
			cores: params.cores,
			memory_mb: params.memory,
			disk_gb: params.disk,
			ip: params.staticIp,
			config_name: configName,
			created_by: actor.userId ?? null
		});
	} catch (err) {
		if (String(err).includes('UNIQUE')) {
			const message = `An environment named ${params.hostname} already exists.`;
			throw new SpyreError('validation', message, { fields: { hostname: message } });
		}
		throw err;
	}
}

function lxcParams(row: EnvironmentRow, vmid: number, p: CreateParams): CreateLxcParams {
	return {
		vmid,
		ostemplate: p.template,
		hostname: p.hostname,
		cores: p.cores,
		memory: p.memory,
		swap: p.swap,
		rootfs: { storage: p.storage, sizeGb: p.disk },
		net0: { bridge: p.bridge, ip: p.ip },
		features: { nesting: p.nesting },
		unprivileged: true,
		sshPublicKeys: getConfig().ssh.publicKey,
		start: true,
		nameserver: p.nameserver,
		onboot: p.onboot,
		tags: p.tags,
		description: `Managed by Spyre (${row.id})`
	};
}

export function isVmidRace(err: unknown, vmid: number): boolean {
	if (!isProxmoxError(err)) return false;
	const text = `${err.message} ${err.reason ?? ''} ${err.bodyMessage ?? ''} ${JSON.stringify(err.errors ?? {})}`;
	return text.includes(`${vmid} already exists`);
}

/** The row's VMID is held by another environment row (the UNIQUE index on environments.vmid). */
function isVmidHeld(err: unknown): boolean {
	return (err as { code?: unknown })?.code === 'SQLITE_CONSTRAINT_UNIQUE' && String((err as Error).message).includes('environments.vmid');
}

/**
 * Record `vmid` on the row, or the first id above it that no other environment row holds: two creates at
 * once get the same id from /cluster/nextid (Proxmox has made neither CT yet), and the second must move on.
 */
function reserveVmid(row: EnvironmentRow, vmid: number): EnvironmentRow {
	for (let id = vmid; id < vmid + 1000; id++) {
		try {
			return set(row.id, { vmid: id });
		} catch (err) {
			if (!isVmidHeld(err)) throw err;
		}
	}
	throw new SpyreError('conflict', `VMIDs ${vmid} to ${vmid + 999} are all held by other environments.`);
}

/**
 * Take the next free VMID and ask Proxmox to make the CT there (`make` starts a create or a clone and returns
 * its UPID); a VMID taken meanwhile is retried. The one VMID rule for every verb that makes a CT.
 */
export async function allocateVmid(run: Run, row: EnvironmentRow, signal: AbortSignal, make: (vmid: number) => Promise<string>): Promise<{ row: EnvironmentRow; upid: string }> {
	const pve = getProxmox();
	let floor = 0;
	for (let attempt = 0; attempt < 5; attempt++) {
		row = reserveVmid(row, Math.max(await pve.getNextVmid(undefined, { signal }), floor));
		const vmid = row.vmid!;
		try {
			return { row, upid: await make(vmid) };
		} catch (err) {
			// Only a taken vmid is safe to retry: it proves this request created nothing.
			if (!isVmidRace(err, vmid)) throw err;
			run.event('warning', `VMID ${vmid} was taken meanwhile; trying the next free one.`);
			floor = vmid + 1;
			row = set(row.id, { vmid: null });
		}
	}
	throw new SpyreError('conflict', 'Could not get a free VMID after 5 tries.');
}

/**
 * The Proxmox side of a create, as steps of `run` (usable inside any job): ends with the CT running,
 * its address known and Spyre's SSH key verified. Returns the row as it then is.
 */
export async function createContainer(row: EnvironmentRow, params: CreateParams, run: Run, signal: AbortSignal, progress: ProgressOf = createProgress()): Promise<EnvironmentRow> {
	run.step('allocate', `Creating ${row.hostname} on node ${row.node}`, progress('allocate'));
	const created = await allocateVmid(run, row, signal, (vmid) => getProxmox().createLxc(row.node, lxcParams(row, vmid, params), { signal }));
	row = created.row;
	run.event('status', `Proxmox task ${created.upid}`);
	run.step('create', `Proxmox is creating CT ${row.vmid}`, progress('create'));
	await followTask(run, row.node, created.upid, signal, row);
	run.step('start', `Starting CT ${row.vmid}`, progress('start'));
	row = set(row.id, { status: 'starting' });
	await confirmRunning(run, row, signal);
	return bringUp(run, row, signal, progress);
}

/** The quick form's create: validate, insert, then build the CT as a background 'create' job. */
export async function createEnvironment(input: Record<string, unknown>, actor: AuditActor, options: CreateOptions = {}): Promise<EnvironmentRow> {
	const { row, params } = await prepareCreate(input, actor, options);
	startJob({
		key: row.id,
		kind: 'create',
		actor,
		action: 'environment.create',
		target: target(row),
		configName: options.configName ?? null,
		work: async (run, signal) => {
			await createContainer(row, params, run, signal);
		},
		// The row stays as an error the user can see and remove (a failed create task has already removed
		// the CT on Proxmox; a later failure leaves the CT, which destroy then removes).
		onFailure: markFailed(row.id, afterFailedCreate)
	});
	return row;
}
