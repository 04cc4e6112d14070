// Claude tasks in environments, as a namespace of verbs: `import * as bridge from '$lib/server/claude/tasks/bridge'`,
// then `bridge.dispatch(envId, prompt, options, actor)`, `bridge.cancel(id)`, `bridge.resume(id, prompt)`.
// A task is `claude -p` started detached inside the environment (launcher.ts), writing stream-json to a
// file that attach.ts follows by byte offset into numbered events. This module owns the checks before a
// start, the start itself, cancel, resume, rollback and the recovery of running tasks after a restart.
// A task reaches Anthropic through Spyre's credential broker (broker/): its CLI gets the broker's URL and a
// per-task token, never the long-lived credential (unless the owner opted in to injecting it). It never
// puts the prompt or a credential on a command line, and never logs either.

import { record, type AuditActor } from '../../audit';
import * as configs from '../../configs';
import { getConfig } from '../../env-config';
import { SpyreError, isSpyreError, messageOf } from '../../errors';
import { getEnvironment } from '../../environments/repo';
import { requireReachable } from '../../environments/reachable';
import * as ssh from '../../ssh';
import { MAX_PROMPT_BYTES, type DispatchReadiness, type TaskOptions, type TaskOptionsInput, type TaskView } from '$lib/shared/types/claude';
import { taskEnded, attach, attachmentDone, detachAll, markCancelRequested } from './attach';
import { publishTaskRow } from './publish-row';
import { credentialProblem, getTaskCredential } from '../auth';
import { brokerProblem, startBroker } from '../broker';
import { issueToken, revokeToken } from '../broker/tokens';
import { injectCredentialEnabled } from '../auth/inject-setting';
import { cliVersion, installClaudeCode } from '../install';
import { brokerProbeCommand, cancelCommand, launcherScript, prepareCommand, scrubCommand, startCommand, taskPaths } from './launcher';
import { resolveOptions } from './options';
import * as changes from './changes';
import { rollbackTo, snapshotBefore } from './snapshot';
import { activeTasks, getTask, insertTask, newTaskId, runningCount, toTaskView, updateTask, type TaskRow } from './repo';

export { eventsSince, listTasks, getTask } from './repo';
export { attachmentDone } from './attach';

/** Running (or starting) tasks per environment at most. */
export const MAX_RUNNING_PER_ENV = 3;

export function taskView(id: string): TaskView {
	const row = getTask(id);
	if (!row) throw new SpyreError('not_found', 'No such task.');
	return toTaskView(row, getEnvironment(row.environment_id)?.hostname ?? null);
}

export function checkPrompt(prompt: unknown): string {
	if (typeof prompt !== 'string' || prompt.trim() === '') throw new SpyreError('validation', 'Write a prompt first.', { fields: { prompt: 'is required' } });
	if (prompt.includes('\0')) throw new SpyreError('validation', 'The prompt contains a NUL character.', { fields: { prompt: 'contains a NUL character' } });
	if (Buffer.byteLength(prompt) > MAX_PROMPT_BYTES) {
		throw new SpyreError('payload_too_large', `The prompt is larger than ${MAX_PROMPT_BYTES / 1024} KiB.`, { fields: { prompt: 'is too long' } });
	}
	return prompt;
}

/** The `claude:` section of the config the environment was built from, or null. */
export function configClaude(envId: string) {
	const name = getEnvironment(envId)?.config_name;
	if (!name) return null;
	try {
		return configs.resolveConfig(name).config.spec.claude;
	} catch {
		// A deleted or now-invalid config: tasks still run, with Spyre's defaults.
		return null;
	}
}

/** The options a task here gets when the form leaves them alone (the config's `claude:` section, else Spyre's). */
export function defaultOptions(envId: string): TaskOptions {
	try {
		return resolveOptions({}, configClaude(envId));
	} catch {
		return resolveOptions({}, null);
	}
}

/** Why Run is refused right now (for the page), without touching the environment. */
export function readiness(envId: string): DispatchReadiness {
	const problem = credentialProblem();
	if (problem) return { ok: false, code: 'unauthenticated', reason: problem };
	const broker = injectCredentialEnabled() ? null : brokerProblem();
	if (broker) return { ok: false, code: 'broker', reason: broker };
	try {
		requireReachable(envId);
	} catch (err) {
		return { ok: false, code: 'not_running', reason: messageOf(err) };
	}
	if (runningCount(envId) >= MAX_RUNNING_PER_ENV) {
		return { ok: false, code: 'busy', reason: `${MAX_RUNNING_PER_ENV} tasks already run in this environment; wait for one to finish.` };
	}
	return { ok: true, code: null, reason: null };
}

export interface DispatchInput {
	prompt: string;
	options?: TaskOptionsInput;
	/** Continue this task's conversation (`--resume <its session id>`). */
	resumeOf?: string;
}

/** Check everything, record the task, start it detached and begin following it. */
export async function dispatch(envId: string, input: DispatchInput, actor: AuditActor): Promise<TaskView> {
	const prompt = checkPrompt(input.prompt);
	let resumeSession: string | null = null;
	let baseOptions: TaskOptionsInput = {};
	if (input.resumeOf) {
		const first = getTask(input.resumeOf);
		if (!first || first.environment_id !== envId) throw new SpyreError('not_found', 'The task to resume does not exist in this environment.');
		if (!first.session_id) throw new SpyreError('conflict', 'That task has no session to resume (it never started).');
		resumeSession = first.session_id;
		baseOptions = JSON.parse(first.options) as TaskOptionsInput;
		delete baseOptions.snapshot;
	}
	const credential = getTaskCredential();
	if (!credential) throw new SpyreError('conflict', credentialProblem() ?? 'Claude is not connected: authenticate in Settings → Claude first.');
	const inject = injectCredentialEnabled();
	const brokerUrl = inject ? null : await startBroker();
	const target = requireReachable(envId);
	// A continued task stays on the repo (and so the branch) of the task it continues.
	const options = resolveOptions({ ...baseOptions, ...input.options, ...(input.resumeOf ? { repo: baseOptions.repo ?? null } : {}) }, configClaude(envId));
	if (!(await cliVersion(target))) {
		throw new SpyreError('claude_missing', 'Claude Code is not installed in this environment. Install it first (one click on the Claude page).');
	}
	// Counted and inserted in one synchronous stretch, so two dispatches cannot both take the last place.
	if (runningCount(envId) >= MAX_RUNNING_PER_ENV) {
		throw new SpyreError('conflict', `${MAX_RUNNING_PER_ENV} tasks already run in this environment; wait for one to finish or cancel one.`);
	}
	const row = insertTask({ id: newTaskId(), environmentId: envId, prompt, resumeOf: input.resumeOf ?? null, options, createdBy: actor.userId ?? null });
	const paths = taskPaths(row.id);
	try {
		if (options.snapshot) updateTask(row.id, { snapshot: await snapshotBefore(envId, row.id) });
		// After the snapshot, so Discard also restores the branch the repo was on.
		if (options.repo) await changes.begin(target, row.id, options.repo, input.resumeOf ?? null);
		await ssh.exec(target, prepareCommand(row.id), { timeoutMs: 20_000 }).then(mustSucceed('prepare the task directory'));
		if (brokerUrl) await requireBrokerReachable(target, brokerUrl);
		await ssh.writeFile(target, paths.prompt, prompt, { mode: 0o600 });
		// Issued only now, right before it is written: a task that never got this far has no live token.
		const secret = brokerUrl ? issueToken(row.id) : credential.value;
		await ssh.writeFile(target, paths.credential, secret, { mode: 0o600 });
		const script = launcherScript({
			taskId: row.id,
			options,
			resumeSessionId: resumeSession,
			credentialKind: brokerUrl ? 'broker_token' : credential.kind,
			apiBaseUrl: brokerUrl ?? getConfig().claude.apiBaseUrl ?? null
		});
		await ssh.writeFile(target, paths.script, script, { mode: 0o700 });
		const started = await ssh.exec(target, startCommand(row.id), { timeoutMs: 20_000 }).then(mustSucceed('start Claude Code'));
		const pid = Number(started.stdout.trim().split('\n').at(-1));
		updateTask(row.id, { status: 'running', started_at: Date.now(), remote_dir: paths.dir, remote_pid: Number.isSafeInteger(pid) ? pid : null });
	} catch (err) {
		updateTask(row.id, { status: 'failed', error: `Could not start the task: ${messageOf(err)}`, finished_at: Date.now(), broker_token_hash: null });
		void ssh.exec(target, scrubCommand(row.id), { timeoutMs: 10_000 }).catch(() => {});
		record(actor, 'claude.task.dispatch', row.id, 'failure', `environment ${envId}: ${messageOf(err)}`);
		publishTaskRow(row.id);
		taskEnded(row.id);
		throw isSpyreError(err) ? err : new SpyreError('ssh', `Could not start the task: ${messageOf(err)}`, { cause: err });
	}
	record(actor, input.resumeOf ? 'claude.task.resume' : 'claude.task.dispatch', row.id, 'success', `environment ${envId}`);
	publishTaskRow(row.id);
	void attach(row.id);
	return taskView(row.id);
}

/** From inside the environment: can it reach the broker? A clear task error instead of the CLI's. */
async function requireBrokerReachable(target: Parameters<typeof ssh.exec>[0], brokerUrl: string): Promise<void> {
	const r = await ssh.exec(target, brokerProbeCommand(brokerUrl), { timeoutMs: 20_000 });
	const said = r.stdout.trim().split('\n').at(-1);
	if (said === 'broker-unreachable') {
		throw new SpyreError(
			'broker',
			`This environment cannot reach Spyre's Claude credential broker at ${brokerUrl}: check claude.broker (listen and url) in environment.yaml and that the environments' network can reach that address.`
		);
	}
}

function mustSucceed(what: string) {
	return (r: { code: number | null; stdout: string; stderr: string }) => {
		if (r.code !== 0) throw new SpyreError('ssh', `Could not ${what} in the environment: ${(r.stderr || r.stdout).trim().slice(0, 300) || `exit ${r.code}`}`);
		return r;
	};
}

/** Continue a finished task's conversation as a new task linked to it. */
export function resume(taskId: string, prompt: string, options: TaskOptionsInput, actor: AuditActor): Promise<TaskView> {
	const first = getTask(taskId);
	if (!first) throw new SpyreError('not_found', 'No such task.');
	return dispatch(first.environment_id, { prompt, options, resumeOf: taskId }, actor);
}

/** Kill the task's process group in its environment; the follower then records it as cancelled. */
export async function cancel(taskId: string, actor: AuditActor): Promise<TaskView> {
	const row = getTask(taskId);
	if (!row) throw new SpyreError('not_found', 'No such task.');
	if (row.status !== 'running' && row.status !== 'queued') throw new SpyreError('conflict', `The task is ${row.status}, not running.`);
	markCancelRequested(taskId);
	// Cancelled means no more calls, even before the process group is gone.
	revokeToken(taskId);
	try {
		const target = requireReachable(row.environment_id);
		await ssh.exec(target, cancelCommand(taskId), { timeoutMs: 20_000 });
	} catch (err) {
		record(actor, 'claude.task.cancel', taskId, 'failure', messageOf(err));
		throw err;
	}
	record(actor, 'claude.task.cancel', taskId, 'success', null);
	void attach(taskId);
	await Promise.race([attachmentDone(taskId), new Promise((r) => setTimeout(r, 5000))]);
	return taskView(taskId);
}

/** Roll the environment back to the snapshot taken before this task (cancelling the task if it runs). */
export async function rollback(taskId: string, actor: AuditActor): Promise<TaskView> {
	const row = getTask(taskId);
	if (!row) throw new SpyreError('not_found', 'No such task.');
	if (!row.snapshot) throw new SpyreError('conflict', 'No snapshot was taken before this task.');
	if (row.status === 'running' || row.status === 'queued') await cancel(taskId, actor).catch(() => {});
	try {
		await rollbackTo(row.environment_id, row.snapshot);
	} catch (err) {
		record(actor, 'claude.task.rollback', taskId, 'failure', messageOf(err));
		throw err;
	}
	updateTask(taskId, { rolled_back_at: Date.now() });
	publishTaskRow(taskId);
	record(actor, 'claude.task.rollback', taskId, 'success', `snapshot ${row.snapshot}`);
	return taskView(taskId);
}

/** One-click install, audited. */
export async function installCli(envId: string, actor: AuditActor): Promise<{ version: string; method: 'copy' | 'npm' }> {
	const target = requireReachable(envId);
	try {
		const done = await installClaudeCode(target);
		record(actor, 'claude.install', envId, 'success', `version ${done.version} by ${done.method}`);
		return done;
	} catch (err) {
		record(actor, 'claude.install', envId, 'failure', messageOf(err));
		throw err;
	}
}

/** At start-up: follow every task that was running; ones that ended meanwhile complete from their file. */
export function recoverTasks(): number {
	const rows: TaskRow[] = activeTasks();
	for (const row of rows) {
		if (row.status === 'queued') {
			// It never started (Spyre stopped between the row and the launch): nothing runs for it.
			updateTask(row.id, { status: 'interrupted', error: 'Spyre restarted before the task started.', finished_at: Date.now() });
			taskEnded(row.id);
			continue;
		}
		void attach(row.id);
	}
	// Tasks that ended while Spyre was down complete through attach (and record their changes there); these
	// ended before a restart but their changes were not recorded yet.
	changes.finishPending();
	return rows.length;
}

/** Shutdown: stop following (tasks keep running in their environments). */
export function stopFollowing(): Promise<void> {
	return detachAll();
}
