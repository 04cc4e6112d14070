-- Claude Code authentication (issue 9): every state transition of the login state machine is a row.
-- The CHECK on `event` in schema.sql named an earlier list, and SQLite cannot alter a CHECK, so the
-- table is rebuilt (create new, copy, drop, rename) with the new names and the states on each row.
-- Keep the list in step with AUTH_LOG_EVENTS in src/lib/server/claude/auth/state.ts.
CREATE TABLE claude_auth_log_new (
	id          INTEGER PRIMARY KEY,
	ts          INTEGER NOT NULL,
	event       TEXT    NOT NULL CHECK (event IN (
	              'login_started', 'url_captured', 'code_submitted', 'code_rejected', 'login_succeeded',
	              'login_failed', 'login_cancelled', 'login_timed_out', 'api_key_saved', 'health_ok',
	              'health_failed', 'credential_expiring', 'credential_expired', 'task_auth_failed', 'restored',
	              'orphan_killed', 'logout')),
	from_state  TEXT    CHECK (from_state IS NULL OR from_state IN ('idle', 'starting', 'waiting', 'verifying', 'authenticated', 'expiring', 'expired', 'failed', 'cancelled')),
	to_state    TEXT    CHECK (to_state IS NULL OR to_state IN ('idle', 'starting', 'waiting', 'verifying', 'authenticated', 'expiring', 'expired', 'failed', 'cancelled')),
	method      TEXT    CHECK (method IS NULL OR method IN ('setup_token', 'login', 'api_key')),
	user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
	detail      TEXT
);
INSERT INTO claude_auth_log_new (id, ts, event, user_id, detail)
	SELECT id, ts, event, user_id, detail FROM claude_auth_log;
DROP TABLE claude_auth_log;
ALTER TABLE claude_auth_log_new RENAME TO claude_auth_log;
CREATE INDEX claude_auth_log_ts ON claude_auth_log(ts);
