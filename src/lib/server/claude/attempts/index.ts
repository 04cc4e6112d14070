// N attempts of one prompt, side by side (issue 19, item 4), as a namespace of verbs for routes and start-up:
// `start` checks everything and records the set (runner.ts then makes the clones and runs the tasks), `view`
// and `list` read it, `keep` keeps one clone and destroys the others through the normal destroy flow, and
// `recover` ends what a restart cut short. Limited by claude.max_attempt_clones across the cluster.

import * as audit from '../../audit';
import type { AuditActor } from '../../audit';
import { getConfig } from '../../env-config';
import { SpyreError, messageOf } from '../../errors';
import { getProxmox } from '../../proxmox';
import { changeEnvironment } from '../../environments';
import { staticAddressOf } from '../../environments/address';
import { findByHostname, getEnvironment } from '../../environments/repo';
import { requireReachable } from '../../environments/reachable';
import { absolutePathProblem } from '../../configs/rules';
import * as bridge from '../tasks/bridge';
import { cliVersion } from '../install';
import { resolveOptions } from '../tasks/options';
import { taskChanges } from '../tasks/changes';
import { getTask } from '../tasks/repo';
import { MAX_ATTEMPTS, MIN_ATTEMPTS, type AttemptSetSummary, type AttemptSetView, type AttemptView } from '$lib/shared/types/attempts';
import type { TaskOptionsInput, TaskStatus } from '$lib/shared/types/claude';
import { dropUnusedBases, watchClones } from './base';
export { stopWatchingClones } from './base';
import { checkSpec } from './check';
import { attemptHostnames } from './names';
import { placeClones } from './placement';
import { activeSets, setsWithBase, attemptsOf, getSet, insertSet, listSets, newSetId, updateAttempt, updateSet, type AttemptRow, type AttemptSetRow } from './repo';
import { SYSTEM, changed, checkAttempt, destroyClone, dropSnapshot, endAttempt, failSet, finishIfEnded, followAttempt, recordTask, runSet } from './runner';
import { getDb } from '../../db';

export interface StartInput {
	environmentId: string;
	count: unknown;
	prompt: unknown;
	options?: TaskOptionsInput;
	/** A repository path in the environment: each task works on its own branch there; the check runs there. */
	repo?: unknown;
}

/** Clones that exist or are being made now across the cluster (a kept clone is an environment like any other). */
function clonesInUse(): number {
	const row = getDb()
		.prepare(
			`SELECT (SELECT COUNT(*) FROM environments WHERE attempt_set_id IS NOT NULL)
			      + (SELECT COUNT(*) FROM attempts WHERE environment_id IS NULL AND status IN ('queued', 'cloning')) AS n`
		)
		.get() as { n: number };
	return row.n;
}

function checkCount(raw: unknown): number {
	const count = typeof raw === 'string' ? Number(raw) : raw;
	if (typeof count !== 'number' || !Number.isInteger(count) || count < MIN_ATTEMPTS || count > MAX_ATTEMPTS) {
		throw new SpyreError('validation', `Run ${MIN_ATTEMPTS} to ${MAX_ATTEMPTS} attempts.`, { fields: { count: `must be a whole number from ${MIN_ATTEMPTS} to ${MAX_ATTEMPTS}` } });
	}
	return count;
}

function checkRepo(raw: unknown): string | null {
	if (raw === undefined || raw === null || raw === '') return null;
	const problem = typeof raw === 'string' ? absolutePathProblem(raw) : 'must be a path';
	if (problem) throw new SpyreError('validation', `Repository: ${problem}.`, { fields: { repo: problem } });
	return raw as string;
}

/** Check everything, record the set and start it; the clones and tasks follow in the background. */
export async function start(input: StartInput, actor: AuditActor): Promise<AttemptSetView> {
	try {
		return await startChecked(input, actor);
	} catch (err) {
		audit.record(actor, 'attempts.start', input.environmentId, 'failure', messageOf(err));
		throw err;
	}
}

async function startChecked(input: StartInput, actor: AuditActor): Promise<AttemptSetView> {
	const count = checkCount(input.count);
	const prompt = bridge.checkPrompt(input.prompt);
	const repo = checkRepo(input.repo);
	const source = getEnvironment(input.environmentId);
	if (!source) throw new SpyreError('not_found', `Environment ${input.environmentId} does not exist.`);
	if (source.attempt_set_id) throw new SpyreError('conflict', `${source.hostname} is itself an attempt clone; keep it first to run attempts from it.`);
	const ready = bridge.readiness(source.id);
	// The source runs no task of the set: its own running tasks do not count against it.
	if (!ready.ok && ready.code !== 'busy') throw new SpyreError('conflict', ready.reason ?? 'Claude is not ready.');
	const target = requireReachable(source.id);
	resolveOptions(input.options ?? {}, bridge.configClaude(source.id));
	if (!(await cliVersion(target))) {
		throw new SpyreError('claude_missing', 'Claude Code is not installed in this environment. Install it first (one click on the Claude page); the clones carry it.');
	}
	const pve = getProxmox();
	const conf = await pve.getLxcConfig(source.node, source.vmid!);
	const fixed = staticAddressOf(typeof conf.net0 === 'string' ? conf.net0 : undefined);
	if (fixed) {
		throw new SpyreError('conflict', `${source.hostname} has the static address ${fixed.address}, which every clone would copy (Proxmox clones net0 as it is). Attempts need an environment on DHCP.`);
	}
	const storage = String(conf.rootfs ?? '').split(':')[0];
	const [storages, nodes] = await Promise.all([pve.listStorage(source.node), pve.listNodes()]);
	const placement = placeClones({
		count,
		memoryMb: source.memory_mb ?? 512,
		sourceNode: source.node,
		storage,
		shared: storages.find((s) => s.storage === storage)?.shared ?? false,
		nodes: nodes.map((n) => ({ node: n.node, online: n.status === 'online', freeMb: Math.max(0, (n.maxmem - n.mem) / 1024 / 1024) }))
	});
	const hostnames = attemptHostnames(source.hostname, count, (h) => findByHostname(h) !== undefined);
	if (!hostnames) throw new SpyreError('conflict', `No free hostnames are left for clones of ${source.hostname}.`);
	// Counted and inserted with no await between, so two starts cannot both take the last places.
	const max = getConfig().claude.maxAttemptClones;
	const inUse = clonesInUse();
	if (inUse + count > max) {
		throw new SpyreError(
			'conflict',
			`${inUse} attempt clone${inUse === 1 ? '' : 's'} exist${inUse === 1 ? 's' : ''} and ${count} more would pass the limit of ${max} (claude.max_attempt_clones). Keep or discard an earlier set first.`
		);
	}
	const set = insertSet(
		{
			id: newSetId(),
			source_env_id: source.id,
			source_hostname: source.hostname,
			prompt,
			options: JSON.stringify(input.options ?? {}),
			repo,
			count,
			created_by: actor.userId ?? null
		},
		hostnames.map((hostname, i) => ({ hostname, node: placement.nodes[i] }))
	);
	updateSet(set.id, { placement: placement.why });
	audit.record(actor, 'attempts.start', set.id, 'success', `${count} attempts of ${source.hostname} (${source.id})`);
	changed(set.id);
	void runSet(set.id, actor).catch((err) => failSet(set.id, `Spyre could not run the set: ${messageOf(err)}`));
	return view(set.id);
}

function attemptView(a: AttemptRow): AttemptView {
	const env = a.environment_id ? getEnvironment(a.environment_id) : undefined;
	// While the task row exists it is the live truth; the attempt's copy outlives it.
	const task = a.task_id ? getTask(a.task_id) : undefined;
	const live = task && (task.status === 'running' || task.status === 'queued');
	const changes = (a.task_id ? taskChanges(a.task_id) : null) ?? (a.files_changed !== null ? { files: a.files_changed, added: a.lines_added ?? 0, removed: a.lines_removed ?? 0 } : null);
	return {
		n: a.n,
		hostname: a.hostname,
		environmentId: env ? env.id : null,
		environmentStatus: env ? env.status : null,
		node: env?.node ?? a.node,
		status: a.status,
		error: a.error,
		cloneMs: a.clone_ms,
		taskId: a.task_id,
		taskStatus: ((task?.status ?? a.task_status) as TaskStatus | null) ?? null,
		startedAt: task?.started_at ?? a.started_at,
		finishedAt: task?.finished_at ?? a.finished_at,
		durationMs: live ? null : (a.duration_ms ?? task?.duration_ms ?? null),
		numTurns: task?.num_turns ?? a.num_turns,
		costUsd: task?.cost_usd ?? a.cost_usd,
		changes,
		check: a.check_output !== null ? { exitCode: a.check_exit, lines: JSON.parse(a.check_output) as string[], durationMs: a.check_ms } : null
	};
}

export function view(setId: string): AttemptSetView {
	const set = getSet(setId);
	if (!set) throw new SpyreError('not_found', 'No such attempt set.');
	const firstEnv = attemptsOf(setId).find((a) => a.environment_id)?.environment_id ?? set.source_env_id;
	const check = firstEnv ? checkSpec(bridge.configClaude(firstEnv)?.check) : null;
	return {
		id: set.id,
		sourceEnvId: set.source_env_id,
		sourceHostname: set.source_hostname,
		prompt: set.prompt,
		options: JSON.parse(set.options) as AttemptSetView['options'],
		repo: set.repo,
		count: set.count,
		status: set.status,
		snapshot: set.snapshot,
		placement: set.placement,
		error: set.error,
		keptN: set.kept_n,
		check: check?.run ?? null,
		createdAt: set.created_at,
		runningAt: set.running_at,
		finishedAt: set.finished_at,
		attempts: attemptsOf(setId).map(attemptView)
	};
}

export function list(filter: { sourceEnvId?: string } = {}): AttemptSetSummary[] {
	return listSets(filter).map((s: AttemptSetRow) => ({ id: s.id, sourceHostname: s.source_hostname, count: s.count, status: s.status, createdAt: s.created_at }));
}

/**
 * Keep attempt `n` (null: keep none) and destroy every other clone through the normal destroy flow.
 * `destroy` is the confirmation: the hostnames the page showed as going, which must be exactly those.
 */
export async function keep(setId: string, n: number | null, destroy: unknown, actor: AuditActor): Promise<AttemptSetView> {
	const set = getSet(setId);
	if (!set) throw new SpyreError('not_found', 'No such attempt set.');
	if (set.status === 'creating') throw new SpyreError('conflict', 'The clones are still being made; wait until every attempt has its clone.');
	if (set.status === 'kept' || set.status === 'discarded') throw new SpyreError('conflict', `This set was already ${set.status}.`);
	const attempts = attemptsOf(setId);
	const kept = n === null ? null : attempts.find((a) => a.n === n);
	if (n !== null && (!kept || !kept.environment_id || !getEnvironment(kept.environment_id))) throw new SpyreError('conflict', `Attempt ${n} has no clone to keep.`);
	const going = attempts.filter((a) => a.n !== n && a.environment_id && getEnvironment(a.environment_id));
	const confirmed = Array.isArray(destroy) ? destroy.filter((d): d is string => typeof d === 'string').sort() : null;
	const expected = going.map((a) => a.hostname).sort();
	if (!confirmed || confirmed.join('\n') !== expected.join('\n')) {
		throw new SpyreError('conflict', `Confirm what is destroyed: ${expected.length ? expected.join(', ') : 'nothing'}. Reload the page if it shows something else.`, {
			fields: { destroy: `must list ${expected.join(', ') || 'nothing'}` }
		});
	}
	const action = n === null ? 'attempts.discard' : 'attempts.keep';
	// What the task rows say is copied now: they go with their clones.
	for (const a of attempts) {
		const task = a.task_id ? getTask(a.task_id) : undefined;
		if (task) recordTask(setId, a.n, task);
	}
	if (kept) {
		updateAttempt(setId, kept.n, { status: 'kept' });
		// From now on an environment like any other: no longer counted or grouped as an attempt.
		changeEnvironment(kept.environment_id!, { attempt_set_id: null });
	}
	for (const a of going) updateAttempt(setId, a.n, { status: 'discarded', finished_at: a.finished_at ?? Date.now() });
	updateSet(setId, { status: n === null ? 'discarded' : 'kept', kept_n: n, finished_at: set.finished_at ?? Date.now() });
	audit.record(actor, action, setId, 'success', kept ? `kept ${kept.hostname}; destroying ${expected.join(', ') || 'nothing'}` : `destroying ${expected.join(', ') || 'nothing'}`);
	changed(setId);
	await Promise.all(going.map((a) => destroyClone(a.environment_id!, actor).catch((err) => console.warn(`[spyre] attempt set ${setId}: ${a.hostname} not destroyed: ${messageOf(err)}`))));
	await dropSnapshot(setId);
	return view(setId);
}

/**
 * At start-up (after environments are reconciled and tasks re-attached): every set a stop cut short ends
 * truthfully. An attempt whose task was started is followed again (a check cut short runs again); one still
 * being cloned or started is failed and its clone destroyed, since the runner that made it is gone; the
 * source's snapshot is deleted.
 */
export function recover(): number {
	watchClones();
	const sets = activeSets();
	// A set that ended while its last clone went (or Spyre stopped first) still has its base to destroy.
	void dropUnusedBases(setsWithBase().filter((s) => !sets.some((a) => a.id === s.id)));
	for (const set of sets) void recoverSet(set).catch((err) => failSet(set.id, `Spyre could not resume the set after a restart: ${messageOf(err)}`));
	return sets.length;
}

async function recoverSet(set: AttemptSetRow): Promise<void> {
	const followers: Promise<void>[] = [];
	for (const a of attemptsOf(set.id)) {
		if (a.status === 'running') followers.push(followAttempt(set.id, a.n));
		else if (a.status === 'checking') {
			followers.push(
				(async () => {
					const task = a.task_id ? getTask(a.task_id) : undefined;
					await checkAttempt(set.id, a.n, task);
					endAttempt(set.id, a.n, { status: 'done', error: task?.error ?? null });
				})()
			);
		} else if (a.status === 'queued' || a.status === 'cloning' || a.status === 'dispatching') {
			endAttempt(set.id, a.n, { status: 'failed', error: `Spyre restarted while this attempt was ${a.status === 'dispatching' ? 'starting its task' : 'being cloned'}.` });
			if (a.environment_id) followers.push(destroyClone(a.environment_id, SYSTEM));
		} else if (a.status === 'failed' && a.environment_id && getEnvironment(a.environment_id)) {
			// A clone that failed as Spyre stopped: nothing will use it.
			followers.push(destroyClone(a.environment_id, SYSTEM));
		}
	}
	if (set.status === 'creating' && attemptsOf(set.id).some((a) => a.status === 'running' || a.status === 'checking')) {
		updateSet(set.id, { status: 'running', running_at: set.running_at ?? Date.now() });
	}
	changed(set.id);
	await dropSnapshot(set.id);
	await Promise.all(followers.map((f) => f.catch((err) => console.warn(`[spyre] attempt set ${set.id}: ${messageOf(err)}`))));
	await finishIfEnded(set.id);
}
