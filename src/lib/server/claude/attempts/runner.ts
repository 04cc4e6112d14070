// The life of an attempt set once it is recorded: snapshot the source, make the set's base template from
// the snapshot where the storage can clone linked (base.ts), clone it N times (each clone an environment
// with its own 'create' job, environments/clone.ts: linked clones of the base, or full clones of the
// snapshot on storage that cannot link), delete the snapshot once the clones exist,
// start the same task in each clone (bridge.dispatch), follow each task to its end, run the config's check
// there, and end the set with one notice. Every step is written to the set's rows first, so a restart finds
// where each attempt stood (recover.ts) and ends it truthfully.

import type { AuditActor } from '../../audit';
import { messageOf } from '../../errors';
import { publish } from '../../events';
import { getProxmox } from '../../proxmox';
import { isBusy, latestRun, settled } from '../../jobs';
import { cloneEnvironment } from '../../environments/clone';
import { destroyEnvironment } from '../../environments/destroy';
import { getEnvironment } from '../../environments/repo';
import { requireReachable } from '../../environments/reachable';
import { cancel as cancelJob } from '../../jobs';
import { announce, attemptSetNotice } from '../../notify/notices';
import * as bridge from '../tasks/bridge';
import { attach } from '../tasks/attach';
import { finish as finishChanges, taskChanges } from '../tasks/changes';
import { getTask, type TaskRow } from '../tasks/repo';
import type { TaskOptionsInput } from '$lib/shared/types/claude';
import { dropBaseIfUnused, makeBase, rootStorageType, storageCanLink } from './base';
import { checkSpec, runCheck } from './check';
import { attemptsOf, getSet, updateAttempt, updateSet, type AttemptRow, type AttemptSetRow } from './repo';

export const SYSTEM: AuditActor = { username: 'spyre', ip: null };

export function changed(setId: string): void {
	publish('attempts.updated', { setId });
}

/** The snapshot of the source the clones copy: a valid Proxmox config id of at most 40 characters. */
export function snapshotName(setId: string): string {
	return `spyre_att_${setId.replace(/^set-/, '').slice(0, 24)}`;
}

/** Run a recorded set from its snapshot to its end. Never throws: a failure ends the set or its attempt. */
export async function runSet(setId: string, actor: AuditActor): Promise<void> {
	const set = getSet(setId)!;
	const source = set.source_env_id ? getEnvironment(set.source_env_id) : undefined;
	if (!source || source.vmid === null) return failSet(setId, `${set.source_hostname} no longer exists.`);
	const name = snapshotName(setId);
	try {
		// Recorded before it is asked for, so a restart knows to delete it.
		updateSet(setId, { snapshot: name });
		const pve = getProxmox();
		const upid = await pve.createSnapshot(source.node, source.vmid, name, { description: `Attempt set ${setId}: the clones copy this` });
		await pve.waitForTask(source.node, upid);
	} catch (err) {
		updateSet(setId, { snapshot: null });
		return failSet(setId, `Could not snapshot ${source.hostname}: ${messageOf(err)}`);
	}
	changed(setId);
	let base: { node: string; vmid: number } | undefined;
	const type = await rootStorageType(source.node, source.vmid).catch(() => undefined);
	if (storageCanLink(type)) {
		try {
			base = await makeBase(setId, { node: source.node, vmid: source.vmid, hostname: source.hostname }, name);
		} catch (err) {
			await dropSnapshot(setId);
			return failSet(setId, `Could not make the template the clones stack on: ${messageOf(err)}`);
		}
		updateSet(setId, {
			placement: `${set.placement ?? ''} Linked clones of template CT ${base.vmid}, made once from the snapshot; it stays until the set's last clone (the kept one included) is destroyed.`.trim()
		});
	} else {
		updateSet(setId, { placement: `${set.placement ?? ''} Full clones of the snapshot, one after another: the storage (${type ?? 'unknown type'}) cannot make linked clones.`.trim() });
	}
	changed(setId);
	const clones = attemptsOf(setId).map((a) => cloneAttempt(set, a, name, base, actor));
	// Each task starts as soon as its clone is up; the snapshot goes once every clone task is over.
	const tasks = clones.map((cloned, i) => cloned.then((c) => (c === 'up' ? startTask(set, i + 1, actor) : undefined)));
	const cloned = await Promise.all(clones);
	// Spyre is stopping: the rows say where each attempt stood, and start-up recovery ends the set.
	if (cloned.includes('interrupted')) return;
	await dropSnapshot(setId);
	if (!cloned.includes('up')) return failSet(setId, 'No clone came up; see each attempt for why.');
	updateSet(setId, { status: 'running', running_at: Date.now() });
	changed(setId);
	await Promise.all(tasks);
	await finishIfEnded(setId);
}

/** Clone one attempt's environment and wait for it to be running. */
async function cloneAttempt(set: AttemptSetRow, a: AttemptRow, snapname: string, base: { node: string; vmid: number } | undefined, actor: AuditActor): Promise<'up' | 'failed' | 'interrupted'> {
	const started = Date.now();
	updateAttempt(set.id, a.n, { status: 'cloning', started_at: started });
	changed(set.id);
	try {
		const source = getEnvironment(set.source_env_id ?? '');
		if (!source) throw new Error(`${set.source_hostname} no longer exists.`);
		const row = cloneEnvironment({ source, snapname, base, hostname: a.hostname, node: a.node ?? source.node, attemptSetId: set.id }, actor);
		updateAttempt(set.id, a.n, { environment_id: row.id });
		changed(set.id);
		await settled(row.id);
		if (latestRun(row.id)?.status === 'interrupted') return 'interrupted';
		const now = getEnvironment(row.id);
		if (!now || now.status !== 'running') throw new Error(now?.error ?? 'The clone did not come up.');
		updateAttempt(set.id, a.n, { status: 'dispatching', clone_ms: Date.now() - started });
		changed(set.id);
		return 'up';
	} catch (err) {
		endAttempt(set.id, a.n, { status: 'failed', error: `Clone failed: ${messageOf(err)}` });
		return 'failed';
	}
}

/** Start the set's task in one clone, then follow it. */
async function startTask(set: AttemptSetRow, n: number, actor: AuditActor): Promise<void> {
	const a = attemptsOf(set.id).find((x) => x.n === n)!;
	try {
		// The clone is the snapshot: no second one per task (the attempt is thrown away or kept whole).
		const options = { ...(JSON.parse(set.options) as TaskOptionsInput), snapshot: false, ...(set.repo ? { repo: set.repo } : {}) };
		const task = await bridge.dispatch(a.environment_id!, { prompt: set.prompt, options }, actor);
		updateAttempt(set.id, a.n, { status: 'running', task_id: task.id, task_status: task.status });
		changed(set.id);
	} catch (err) {
		endAttempt(set.id, a.n, { status: 'failed', error: `The task did not start: ${messageOf(err)}` });
		return;
	}
	await followAttempt(set.id, a.n);
}

/**
 * Wait for an attempt's task to end (attach follows it, or returns the follow already running), record its
 * summary, then run the check. Returns without an ending when Spyre is stopping (the task still runs).
 */
export async function followAttempt(setId: string, n: number): Promise<void> {
	const a = attemptsOf(setId).find((x) => x.n === n)!;
	if (!a.task_id) return;
	await attach(a.task_id);
	const task = getTask(a.task_id);
	if (task && (task.status === 'running' || task.status === 'queued')) return;
	// The task's changes are recorded when it ends (attach.ts taskEnded); wait for that record, then copy it.
	if (task) await finishChanges(task.id);
	if (task) recordTask(setId, n, task);
	await checkAttempt(setId, n, task);
	endAttempt(setId, n, { status: 'done', error: task ? task.error : 'The task record is gone with its environment.' });
	await finishIfEnded(setId);
}

/** Run the config's check in the attempt's clone, if the config has one. */
export async function checkAttempt(setId: string, n: number, task: TaskRow | undefined): Promise<void> {
	const a = attemptsOf(setId).find((x) => x.n === n)!;
	const spec = a.environment_id ? checkSpec(bridge.configClaude(a.environment_id)?.check) : null;
	if (!spec || !a.environment_id) return;
	updateAttempt(setId, n, { status: 'checking' });
	changed(setId);
	const set = getSet(setId)!;
	const dir = set.repo ?? (task ? (JSON.parse(task.options) as { workdir?: string }).workdir : undefined) ?? '/root';
	let result;
	try {
		result = await runCheck(requireReachable(a.environment_id), spec, dir);
	} catch (err) {
		result = { exitCode: null, lines: [`Spyre: the check could not run: ${messageOf(err)}`], durationMs: null };
	}
	updateAttempt(setId, n, { check_exit: result.exitCode, check_output: JSON.stringify(result.lines), check_ms: result.durationMs });
}

/** Copy what the task row says (it goes with the clone) onto the attempt. */
export function recordTask(setId: string, n: number, task: TaskRow): void {
	const changes = taskChanges(task.id);
	const measured = task.finished_at && task.started_at ? task.finished_at - task.started_at : null;
	updateAttempt(setId, n, {
		task_status: task.status,
		duration_ms: task.duration_ms ?? measured,
		num_turns: task.num_turns,
		cost_usd: task.cost_usd,
		...(changes ? { files_changed: changes.files, lines_added: changes.added, lines_removed: changes.removed } : {})
	});
}

export function endAttempt(setId: string, n: number, changes: { status: 'done' | 'failed'; error: string | null }): void {
	updateAttempt(setId, n, { ...changes, finished_at: Date.now() });
	changed(setId);
}

/** When no attempt is still at work, the set is done (or failed, when none ran a task): one notice. */
export async function finishIfEnded(setId: string): Promise<void> {
	const set = getSet(setId);
	if (!set || (set.status !== 'running' && set.status !== 'creating')) return;
	const attempts = attemptsOf(setId);
	if (attempts.some((a) => a.status !== 'done' && a.status !== 'failed')) return;
	const ran = attempts.some((a) => a.status === 'done');
	if (!ran) return failSet(setId, set.error ?? 'No attempt ran its task; see each attempt for why.');
	updateSet(setId, { status: 'done', finished_at: Date.now() });
	changed(setId);
	announceEnd(setId);
}

export async function failSet(setId: string, error: string): Promise<void> {
	for (const a of attemptsOf(setId)) {
		if (a.status !== 'done' && a.status !== 'failed') endAttempt(setId, a.n, { status: 'failed', error: a.error ?? error });
	}
	updateSet(setId, { status: 'failed', error, finished_at: Date.now() });
	changed(setId);
	announceEnd(setId);
	// A set that failed before any clone existed leaves only its base to go.
	await dropBaseIfUnused(setId);
}

function announceEnd(setId: string): void {
	const set = getSet(setId)!;
	const attempts = attemptsOf(setId);
	const costs = attempts.map((a) => a.cost_usd).filter((c): c is number => c !== null);
	const checked = attempts.filter((a) => a.check_output !== null);
	announce(
		attemptSetNotice({
			id: set.id,
			sourceEnvId: set.source_env_id,
			sourceHostname: set.source_hostname,
			status: set.status === 'failed' ? 'failed' : 'done',
			count: set.count,
			succeeded: attempts.filter((a) => a.task_status === 'succeeded').length,
			checksPassed: checked.length > 0 ? checked.filter((a) => a.check_exit === 0).length : null,
			costUsd: costs.length > 0 ? costs.reduce((x, y) => x + y, 0) : null
		})
	);
}

/** Delete the source's snapshot once the clones no longer need it; a failure leaves it recorded for the next try. */
export async function dropSnapshot(setId: string): Promise<void> {
	const set = getSet(setId);
	if (!set?.snapshot) return;
	const source = set.source_env_id ? getEnvironment(set.source_env_id) : undefined;
	if (!source || source.vmid === null) return updateSet(setId, { snapshot: null });
	try {
		const pve = getProxmox();
		const upid = await pve.deleteSnapshot(source.node, source.vmid, set.snapshot);
		await pve.waitForTask(source.node, upid);
		updateSet(setId, { snapshot: null });
	} catch (err) {
		if (/does not exist/.test(messageOf(err))) return updateSet(setId, { snapshot: null });
		console.warn(`[spyre] attempt set ${setId}: snapshot ${set.snapshot} of ${source.hostname} not deleted yet: ${messageOf(err)}`);
	}
}

/** Destroy a clone through the normal destroy flow, after any job still working on it (a clone, a resume). */
export async function destroyClone(envId: string, actor: AuditActor): Promise<void> {
	if (isBusy(envId)) {
		cancelJob(envId, 'The attempt set no longer needs this clone.');
		await settled(envId);
	}
	if (getEnvironment(envId)) destroyEnvironment(envId, actor);
}
