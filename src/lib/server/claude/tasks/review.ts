// The review actions of a task on a repository that need more than the bridge: push its branch (through
// the repositories module, which holds the credential) and open a terminal in the repo. Discard is the
// bridge's rollback, Continue its resume. Each action is audited here, success or failure.
// Used as `import * as review from '$lib/server/claude/tasks/review'`.

import { audited, type AuditActor } from '../../audit';
import { SpyreError, isSpyreError } from '../../errors';
import { requireReachable } from '../../environments/reachable';
import * as repos from '../../repos';
import { tmux } from '../../terminal';
import type { TaskChangesView } from '$lib/shared/types/claude';
import { changesView } from './changes';
import { savePushed } from './changes-repo';
import { getTask } from './repo';

function requireChanges(taskId: string): { envId: string; changes: TaskChangesView } {
	const task = getTask(taskId);
	if (!task) throw new SpyreError('not_found', 'No such task.');
	const changes = changesView(taskId);
	if (!changes) throw new SpyreError('conflict', 'This task did not work on a repository, so it has no branch.');
	return { envId: task.environment_id, changes };
}

/**
 * The repo as the repositories module knows it (its URL and credential); a work tree the config does not
 * list is pushed to its own `origin` without a credential (the empty URL says so; repos.push).
 */
function repoSpec(envId: string, path: string): repos.RepoSpec {
	try {
		return repos.repoAt(envId, path);
	} catch (err) {
		if (isSpyreError(err) && err.code === 'not_found') return { url: '', ref: '', path };
		throw err;
	}
}

export async function push(taskId: string, actor: AuditActor): Promise<{ output: string; changes: TaskChangesView }> {
	const { envId, changes } = requireChanges(taskId);
	const done = await audited(
		actor,
		'claude.task.push',
		taskId,
		async () => {
			const task = getTask(taskId)!;
			if (task.status === 'running' || task.status === 'queued') throw new SpyreError('conflict', 'The task is still running; push its branch once it has ended.');
			return repos.push(envId, repoSpec(envId, changes.repoPath), changes.branch);
		},
		() => `branch ${changes.branch} of ${changes.repoPath}`
	);
	savePushed(taskId, done.output);
	return { output: done.output, changes: changesView(taskId)! };
}

/** A new terminal window of the environment, starting in the task's repo (or its working directory). */
export async function openTerminal(taskId: string, actor: AuditActor): Promise<{ envId: string; window: tmux.TmuxWindow }> {
	const task = getTask(taskId);
	if (!task) throw new SpyreError('not_found', 'No such task.');
	const cwd = changesView(taskId)?.repoPath ?? (JSON.parse(task.options) as { workdir?: string }).workdir ?? '/root';
	const window = await audited(
		actor,
		'terminal.window.create',
		task.environment_id,
		async () => {
			const target = requireReachable(task.environment_id);
			await tmux.ensureSession(target);
			return tmux.createWindow(target, `task ${task.id.replace(/^task-/, '').slice(0, 8)}`, { cwd });
		},
		(w) => `window ${w.index} in ${cwd} for ${taskId}`
	);
	return { envId: task.environment_id, window };
}
