// Cloning an environment into a new one: a full clone of a snapshot of the source CT (what Proxmox allows
// for a running CT), or a linked clone of a template made from that snapshot (a linked clone needs a
// template, docs/attempts.md), registered as an environment row of its own before Proxmox is asked, then
// the create lifecycle's own steps (VMID rule, follow the task, start, address, SSH); clones of one CT are
// cloned one at a time (Proxmox's lock). The row exists first, so a clone cut short by a restart is a row
// reconcile.ts settles, never an orphan CT. It never decides what the clone is for: the attempt set records that (claude/attempts).

import type { AuditActor } from '../audit';
import { SpyreError } from '../errors';
import { getProxmox } from '../proxmox';
import { startJob } from '../jobs';
import { singleton } from '../singleton';
import { hostnameProblem } from '$lib/shared/validation/environment';
import { allocateVmid, createProgress } from './create';
import { afterFailedCreate, markFailed } from './failure';
import { builtFromOf, insertEnvironment, newEnvironmentId, setBuiltFrom, type EnvironmentRow } from './repo';
import { announce, set, target } from './state';
import { followTask, startAndBringUp } from './steps';

// Proxmox locks the source (`lock: disk`) while a clone task copies it and refuses another clone meanwhile
// ("CT is locked (disk)"), a template included (pve-container clone_vm sets the lock for every CT clone;
// only qemu-server takes a shared lock on a template), so the clone tasks of one source run one at a time;
// starting the clones and bringing them up overlap freely.
const queues = singleton('environments.clone-queues', () => new Map<string, Promise<unknown>>());

async function oneAtATime<T>(sourceId: string, work: () => Promise<T>): Promise<T> {
	const before = queues.get(sourceId) ?? Promise.resolve();
	const mine = before.catch(() => {}).then(work);
	const tail = mine.catch(() => {});
	queues.set(sourceId, tail);
	try {
		return await mine;
	} finally {
		if (queues.get(sourceId) === tail) queues.delete(sourceId);
	}
}

export interface CloneRequest {
	source: EnvironmentRow;
	/** The source CT's snapshot the clone copies (a full clone). */
	snapname: string;
	/**
	 * A template made from that snapshot (the attempt set's base): the clone is then a linked clone of it,
	 * copy-on-write, instead of a full copy of the snapshot.
	 */
	base?: { node: string; vmid: number };
	hostname: string;
	/** Where the clone lands: the source's node, or another one when the source's storage is shared. */
	node: string;
	/** Marks the clone as an attempt of this set (lists group and hide them). */
	attemptSetId?: string | null;
}

/** Insert the clone's row (status 'creating') and start its 'create' job; returns the row at once. */
export function cloneEnvironment(req: CloneRequest, actor: AuditActor): EnvironmentRow {
	const { source } = req;
	if (source.vmid === null) throw new SpyreError('conflict', `${source.hostname} has no container on Proxmox to clone.`);
	const problem = hostnameProblem(req.hostname);
	if (problem) throw new SpyreError('validation', `${req.hostname}: ${problem}`);
	let row: EnvironmentRow;
	try {
		row = insertEnvironment({
			id: newEnvironmentId(),
			hostname: req.hostname,
			node: req.node,
			origin: 'adopted',
			status: 'creating',
			template: source.template,
			cores: source.cores,
			memory_mb: source.memory_mb,
			disk_gb: source.disk_gb,
			config_name: source.config_name,
			created_by: actor.userId ?? null,
			attempt_set_id: req.attemptSetId ?? null
		});
	} catch (err) {
		if (String(err).includes('UNIQUE')) throw new SpyreError('conflict', `An environment named ${req.hostname} already exists.`);
		throw err;
	}
	// The clone carries the source's files, so it was built from what the source was built from.
	const built = builtFromOf(source.id);
	if (built?.version != null && built.sha256) setBuiltFrom(row.id, built.config, built.version, built.sha256);
	announce(row);
	const progress = createProgress();
	const sourceVmid = source.vmid;
	startJob({
		key: row.id,
		kind: 'create',
		actor,
		action: 'environment.clone',
		target: `${target(row)} from ${source.hostname} (${source.id})`,
		configName: source.config_name,
		work: async (run, signal) => {
			const { base } = req;
			const from = base ?? { node: source.node, vmid: sourceVmid };
			const how = base ? `a linked clone of template CT ${base.vmid} (snapshot ${req.snapname})` : `snapshot ${req.snapname}`;
			run.step('allocate', `Cloning ${source.hostname} (${how}) into ${row.hostname} on node ${req.node}`, progress('allocate'));
			const moved = req.node !== from.node ? req.node : undefined;
			await oneAtATime(`ct-${from.node}-${from.vmid}`, async () => {
				const made = await allocateVmid(run, row, signal, (vmid) =>
					getProxmox().cloneLxc(from.node, from.vmid, vmid, {
						full: !base,
						snapname: base ? undefined : req.snapname,
						hostname: row.hostname,
						description: `Managed by Spyre (${row.id}), cloned from ${source.hostname}`,
						target: moved,
						signal
					})
				);
				row = made.row;
				run.event('status', `Proxmox task ${made.upid}`);
				run.step('create', `Proxmox is cloning CT ${from.vmid} into CT ${row.vmid}`, progress('create'));
				// The clone task runs on the source's node, whatever the target.
				await followTask(run, from.node, made.upid, signal, row);
			});
			await startAndBringUp(run, set(row.id, { status: 'starting' }), signal, { progress });
		},
		onFailure: markFailed(row.id, afterFailedCreate)
	});
	return row;
}
