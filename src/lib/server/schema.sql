-- Spyre's whole schema, migration 1. Times are milliseconds since the Unix epoch (INTEGER).
-- Later changes go in migrations/NNN-name.sql; never edit this file once released.

CREATE TABLE users (
	id             INTEGER PRIMARY KEY,
	username       TEXT    NOT NULL UNIQUE COLLATE NOCASE
	               CHECK (length(username) BETWEEN 1 AND 64),
	password_hash  TEXT    NOT NULL,
	role           TEXT    NOT NULL DEFAULT 'admin' CHECK (role IN ('admin', 'member')),
	created_at     INTEGER NOT NULL,
	last_login_at  INTEGER
);

-- Only the SHA-256 of a session token is stored; the token itself lives in the browser's cookie.
CREATE TABLE sessions (
	token_hash    TEXT    PRIMARY KEY CHECK (length(token_hash) = 64),
	user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at    INTEGER NOT NULL,
	last_seen_at  INTEGER NOT NULL,
	expires_at    INTEGER NOT NULL,
	ip            TEXT,
	user_agent    TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

-- Spyre's metadata about a container. Proxmox is the truth for live state; `status` is Spyre's view of
-- its own lifecycle (including steps Proxmox does not know about, like waiting for SSH).
CREATE TABLE environments (
	id                    TEXT    PRIMARY KEY,
	hostname              TEXT    NOT NULL CHECK (length(hostname) BETWEEN 1 AND 63),
	node                  TEXT    NOT NULL,
	vmid                  INTEGER CHECK (vmid IS NULL OR vmid BETWEEN 100 AND 999999999),
	origin                TEXT    NOT NULL DEFAULT 'created' CHECK (origin IN ('created', 'adopted')),
	status                TEXT    NOT NULL CHECK (status IN (
	                        'pending', 'creating', 'starting', 'waiting_network', 'verifying_ssh',
	                        'provisioning', 'running', 'stopping', 'stopped', 'destroying', 'error', 'missing')),
	template              TEXT,
	cores                 INTEGER CHECK (cores IS NULL OR cores >= 1),
	memory_mb             INTEGER CHECK (memory_mb IS NULL OR memory_mb >= 16),
	disk_gb               INTEGER CHECK (disk_gb IS NULL OR disk_gb >= 1),
	ip                    TEXT,
	config_name           TEXT,
	host_key_fingerprint  TEXT,
	current_task          TEXT,
	error                 TEXT,
	error_step            TEXT,
	created_by            INTEGER REFERENCES users(id) ON DELETE SET NULL,
	created_at            INTEGER NOT NULL,
	updated_at            INTEGER NOT NULL
);
CREATE UNIQUE INDEX environments_hostname ON environments(hostname COLLATE NOCASE);
CREATE UNIQUE INDEX environments_vmid ON environments(vmid) WHERE vmid IS NOT NULL;
CREATE INDEX environments_status ON environments(status);

-- One run of the create/provision pipeline for an environment. `kind` says which pipeline.
CREATE TABLE provision_runs (
	id              INTEGER PRIMARY KEY,
	environment_id  TEXT    NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
	kind            TEXT    NOT NULL CHECK (kind IN ('create', 'provision', 'start', 'stop', 'destroy')),
	config_name     TEXT,
	config_snapshot TEXT,
	status          TEXT    NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
	phase           TEXT    CHECK (phase IS NULL OR phase IN ('create', 'helper', 'provision')),
	step            TEXT,
	error           TEXT,
	started_by      INTEGER REFERENCES users(id) ON DELETE SET NULL,
	started_at      INTEGER NOT NULL,
	finished_at     INTEGER,
	CHECK ((status = 'running') = (finished_at IS NULL))
);
CREATE INDEX provision_runs_env ON provision_runs(environment_id, started_at);
CREATE INDEX provision_runs_running ON provision_runs(status) WHERE status = 'running';

CREATE TABLE provision_events (
	id       INTEGER PRIMARY KEY,
	run_id   INTEGER NOT NULL REFERENCES provision_runs(id) ON DELETE CASCADE,
	seq      INTEGER NOT NULL CHECK (seq >= 1),
	ts       INTEGER NOT NULL,
	kind     TEXT    NOT NULL CHECK (kind IN ('step', 'log', 'output', 'warning', 'error', 'status')),
	step     TEXT,
	message  TEXT    NOT NULL,
	UNIQUE (run_id, seq)
);

CREATE TABLE claude_auth_log (
	id      INTEGER PRIMARY KEY,
	ts      INTEGER NOT NULL,
	event   TEXT    NOT NULL CHECK (event IN (
	          'login_started', 'url_captured', 'code_submitted', 'login_succeeded', 'login_failed',
	          'login_cancelled', 'health_ok', 'health_failed', 'logout')),
	user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
	detail  TEXT
);
CREATE INDEX claude_auth_log_ts ON claude_auth_log(ts);

CREATE TABLE claude_tasks (
	id               TEXT    PRIMARY KEY,
	environment_id   TEXT    NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
	prompt           TEXT    NOT NULL,
	status           TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
	resume_of        TEXT    REFERENCES claude_tasks(id) ON DELETE SET NULL,
	session_id       TEXT,
	remote_dir       TEXT,
	remote_pid       INTEGER,
	result           TEXT,
	error            TEXT,
	cost_usd         REAL    CHECK (cost_usd IS NULL OR cost_usd >= 0),
	num_turns        INTEGER CHECK (num_turns IS NULL OR num_turns >= 0),
	duration_ms      INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0),
	created_by       INTEGER REFERENCES users(id) ON DELETE SET NULL,
	created_at       INTEGER NOT NULL,
	started_at       INTEGER,
	finished_at      INTEGER
);
CREATE INDEX claude_tasks_env ON claude_tasks(environment_id, created_at);
CREATE INDEX claude_tasks_active ON claude_tasks(status) WHERE status IN ('queued', 'running');

-- Each stream-json line of a task, numbered, so a reconnecting client replays exactly what it missed.
CREATE TABLE claude_task_events (
	id       INTEGER PRIMARY KEY,
	task_id  TEXT    NOT NULL REFERENCES claude_tasks(id) ON DELETE CASCADE,
	seq      INTEGER NOT NULL CHECK (seq >= 1),
	ts       INTEGER NOT NULL,
	type     TEXT    NOT NULL,
	payload  TEXT    NOT NULL,
	UNIQUE (task_id, seq)
);

CREATE TABLE services (
	id              INTEGER PRIMARY KEY,
	environment_id  TEXT    NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
	name            TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 63),
	port            INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
	protocol        TEXT    NOT NULL DEFAULT 'http' CHECK (protocol IN ('http', 'https', 'tcp')),
	subdomain       TEXT    UNIQUE,
	route_id        TEXT    UNIQUE,
	health          TEXT    NOT NULL DEFAULT 'unknown' CHECK (health IN ('unknown', 'healthy', 'unhealthy')),
	last_checked_at INTEGER,
	UNIQUE (environment_id, name),
	UNIQUE (environment_id, port)
);

-- Append-only: the triggers below refuse any UPDATE or DELETE.
CREATE TABLE audit_log (
	id        INTEGER PRIMARY KEY,
	ts        INTEGER NOT NULL,
	user_id   INTEGER,
	username  TEXT,
	action    TEXT    NOT NULL,
	target    TEXT,
	outcome   TEXT    NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
	ip        TEXT,
	detail    TEXT
);
CREATE INDEX audit_log_ts ON audit_log(ts);
CREATE INDEX audit_log_action ON audit_log(action, ts);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
	BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
	BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- The live event stream (/api/events), kept so a reconnecting browser replays what it missed.
-- Pruned to the most recent rows by the events module.
CREATE TABLE server_events (
	seq      INTEGER PRIMARY KEY AUTOINCREMENT,
	ts       INTEGER NOT NULL,
	type     TEXT    NOT NULL,
	payload  TEXT    NOT NULL
);
