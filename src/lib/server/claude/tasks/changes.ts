// INTERIM (attempts branch): what a task changed in its repository is recorded by the review work (a branch
// per task, issue 19 item 2), which replaces this file on merge with its own record. Until then no task has
// a record, and the attempts comparison reads "not recorded" for files and lines.

export interface TaskChangesSummary {
	files: number;
	added: number;
	removed: number;
}

/** The recorded change summary of a task, or null when none was recorded. */
export function taskChanges(taskId: string): TaskChangesSummary | null {
	void taskId;
	return null;
}
