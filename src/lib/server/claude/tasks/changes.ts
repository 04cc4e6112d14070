// A task's branch and its recorded changes, as a lifecycle: `begin` before the task starts (the repo is
// checked and put on `spyre/<short id>`, its commit recorded), `finish` once it has ended whatever the way
// (done, failed, cancelled, interrupted; called from the one place a task ends, attach.ts `taskEnded`), and
// `finishPending` at start-up for tasks that ended while Spyre was down or before their end was recorded.
// What changed is read from the environment (git-changes.ts), never from the transcript.
// Used as `import * as changes from './changes'`.

import { messageOf } from '../../errors';
import { requireReachable } from '../../environments/reachable';
import type { SshTarget } from '../../ssh/types';
import type { TaskChangesView } from '$lib/shared/types/claude';
import { branchOf, collect, startBranch } from './git-changes';
import { getChanges, insertChanges, saveFailed, saveRecorded, toChangesView, unrecordedEnded } from './changes-repo';
import { getTask } from './repo';
import { publishTaskRow } from './publish-row';

/**
 * Put the task's repo on its branch and record the base. A continued task stays on the branch and base of
 * the task it continues, so its review shows the whole branch. Throws (validation) when the repo is unusable.
 */
export async function begin(target: SshTarget, taskId: string, repoPath: string, resumeOf: string | null): Promise<void> {
	const earlier = resumeOf ? getChanges(resumeOf) : undefined;
	const inherited = earlier && earlier.repo_path === repoPath ? earlier : undefined;
	const branch = inherited?.branch ?? branchOf(taskId);
	const { base } = await startBranch(target, repoPath, branch);
	insertChanges(taskId, repoPath, branch, inherited?.base_commit ?? base);
}

const finishing = new Map<string, Promise<void>>();

/** Record what the ended task changed (once; concurrent calls share the run). Never throws. */
export function finish(taskId: string): Promise<void> {
	const pending = finishing.get(taskId);
	if (pending) return pending;
	const run = record(taskId).finally(() => finishing.delete(taskId));
	finishing.set(taskId, run);
	return run;
}

async function record(taskId: string): Promise<void> {
	const row = getChanges(taskId);
	if (!row || row.state !== 'started' || !row.base_commit) return;
	const task = getTask(taskId);
	if (!task) return;
	try {
		const target = requireReachable(task.environment_id);
		saveRecorded(taskId, await collect(target, row.repo_path, row.base_commit));
	} catch (err) {
		saveFailed(taskId, `Could not record the changes: ${messageOf(err)}`);
	}
	// The page reloads the changes when its task updates.
	publishTaskRow(taskId);
}

/** Start-up: record the changes of tasks that ended without them being recorded. */
export function finishPending(): number {
	const ids = unrecordedEnded();
	for (const id of ids) void finish(id);
	return ids.length;
}

export function changesView(taskId: string): TaskChangesView | null {
	const row = getChanges(taskId);
	return row ? toChangesView(row) : null;
}

export interface TaskChangesSummary {
	files: number;
	added: number;
	removed: number;
}

/** The recorded change summary of a task (the attempts comparison), or null when none was recorded. */
export function taskChanges(taskId: string): TaskChangesSummary | null {
	const view = changesView(taskId);
	return view && view.state === 'recorded' ? { files: view.files.length, added: view.added, removed: view.removed } : null;
}
