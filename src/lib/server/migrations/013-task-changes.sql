-- What a task changed in a repository of its environment (its branch `spyre/<short id>`), recorded from
-- the environment when the task ends. `state`: 'started' (branch made, base recorded, the end not yet
-- recorded: a restart records it), 'recorded', or 'failed' (`error` says why). `commits` and `files` are
-- JSON lists; `diff` the unified diff base → working tree, bounded (`diff_truncated` set when files or
-- hunks were left out). A resumed task records its own row on the same branch and base.
CREATE TABLE claude_task_changes (
	task_id         TEXT    PRIMARY KEY REFERENCES claude_tasks(id) ON DELETE CASCADE,
	repo_path       TEXT    NOT NULL,
	branch          TEXT    NOT NULL,
	base_commit     TEXT,
	state           TEXT    NOT NULL DEFAULT 'started' CHECK (state IN ('started', 'recorded', 'failed')),
	head_commit     TEXT,
	commits         TEXT    NOT NULL DEFAULT '[]',
	files           TEXT    NOT NULL DEFAULT '[]',
	files_truncated INTEGER NOT NULL DEFAULT 0,
	added           INTEGER NOT NULL DEFAULT 0 CHECK (added >= 0),
	removed         INTEGER NOT NULL DEFAULT 0 CHECK (removed >= 0),
	diff            TEXT,
	diff_truncated  INTEGER NOT NULL DEFAULT 0,
	error           TEXT,
	recorded_at     INTEGER,
	pushed_at       INTEGER,
	push_output     TEXT
);
-- When the environment was rolled back to the snapshot taken before the task (Discard / Roll back).
ALTER TABLE claude_tasks ADD COLUMN rolled_back_at INTEGER;
