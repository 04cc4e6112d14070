-- N attempts (issue 19, item 4): one prompt run in N copy-on-write clones of an environment, side by side.
-- `attempt_sets` is the set (the prompt, its options, the snapshot the clones were made from, how it ended);
-- `attempts` one row per clone. An attempt keeps a copy of its task's summary and its check result, because
-- the clone's environment, and with it the task row (ON DELETE CASCADE), goes when the owner keeps another.
-- `environments.attempt_set_id` marks a clone as an attempt, so lists can group or hide it.
CREATE TABLE attempt_sets (
	id               TEXT    PRIMARY KEY,
	source_env_id    TEXT    REFERENCES environments(id) ON DELETE SET NULL,
	source_hostname  TEXT    NOT NULL,
	prompt           TEXT    NOT NULL,
	options          TEXT    NOT NULL DEFAULT '{}',
	repo             TEXT,
	count            INTEGER NOT NULL CHECK (count BETWEEN 2 AND 8),
	status           TEXT    NOT NULL CHECK (status IN ('creating', 'running', 'done', 'failed', 'kept', 'discarded')),
	snapshot         TEXT,
	-- The set's base: a full clone of the snapshot made a template, which the linked clones stack on; it
	-- stays while any of them (the kept one included) exists. NULL when there is none (or no longer one).
	base_vmid        INTEGER,
	base_node        TEXT,
	placement        TEXT,
	error            TEXT,
	kept_n           INTEGER,
	created_by       INTEGER REFERENCES users(id) ON DELETE SET NULL,
	created_at       INTEGER NOT NULL,
	running_at       INTEGER,
	finished_at      INTEGER
);
CREATE INDEX attempt_sets_created ON attempt_sets(created_at);
CREATE INDEX attempt_sets_source ON attempt_sets(source_env_id, created_at);

CREATE TABLE attempts (
	set_id          TEXT    NOT NULL REFERENCES attempt_sets(id) ON DELETE CASCADE,
	n               INTEGER NOT NULL CHECK (n BETWEEN 1 AND 8),
	hostname        TEXT    NOT NULL,
	environment_id  TEXT    REFERENCES environments(id) ON DELETE SET NULL,
	node            TEXT,
	status          TEXT    NOT NULL CHECK (status IN ('queued', 'cloning', 'dispatching', 'running', 'checking', 'done', 'failed', 'kept', 'discarded')),
	error           TEXT,
	clone_ms        INTEGER,
	task_id         TEXT,
	task_status     TEXT,
	duration_ms     INTEGER,
	num_turns       INTEGER,
	cost_usd        REAL,
	files_changed   INTEGER,
	lines_added     INTEGER,
	lines_removed   INTEGER,
	check_exit      INTEGER,
	check_output    TEXT,
	check_ms        INTEGER,
	started_at      INTEGER,
	finished_at     INTEGER,
	PRIMARY KEY (set_id, n)
);
CREATE INDEX attempts_env ON attempts(environment_id) WHERE environment_id IS NOT NULL;

ALTER TABLE environments ADD COLUMN attempt_set_id TEXT REFERENCES attempt_sets(id) ON DELETE SET NULL;
