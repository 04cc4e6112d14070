-- The Claude credential broker. A task's CLI reaches Anthropic through Spyre with a per-task token; only its
-- SHA-256 is stored (`broker_token_hash`), and it counts only while the task is queued or running, so a
-- restart cannot revive the token of a task that ended. Usage is what upstream answered (SSE message_start /
-- message_delta), one row per forwarded call, summed per task and per month for budgets; never what the CT
-- reports. `claude_settings` holds owner settings stored in Spyre (the opt-in to inject the credential).
ALTER TABLE claude_tasks ADD COLUMN broker_token_hash TEXT;
CREATE UNIQUE INDEX claude_tasks_broker_token ON claude_tasks(broker_token_hash) WHERE broker_token_hash IS NOT NULL;
ALTER TABLE claude_tasks ADD COLUMN reported_cost_usd REAL CHECK (reported_cost_usd IS NULL OR reported_cost_usd >= 0);
ALTER TABLE claude_tasks ADD COLUMN refused TEXT;
-- The broker's totals for the task as JSON ({calls, inputTokens, outputTokens, cacheCreationTokens,
-- cacheReadTokens, costUsd}); cost_usd now holds the measured cost, reported_cost_usd what the CLI claimed.
ALTER TABLE claude_tasks ADD COLUMN usage TEXT;

CREATE TABLE claude_usage (
	id                    INTEGER PRIMARY KEY,
	task_id               TEXT    NOT NULL REFERENCES claude_tasks(id) ON DELETE CASCADE,
	at                    INTEGER NOT NULL,
	model                 TEXT,
	status                INTEGER NOT NULL,
	input_tokens          INTEGER NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
	output_tokens         INTEGER NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
	cache_creation_tokens INTEGER NOT NULL DEFAULT 0 CHECK (cache_creation_tokens >= 0),
	cache_read_tokens     INTEGER NOT NULL DEFAULT 0 CHECK (cache_read_tokens >= 0),
	cost_usd              REAL    NOT NULL DEFAULT 0 CHECK (cost_usd >= 0)
);
CREATE INDEX claude_usage_task ON claude_usage(task_id);
CREATE INDEX claude_usage_at ON claude_usage(at);

CREATE TABLE claude_settings (
	key   TEXT PRIMARY KEY CHECK (key IN ('inject_credential')),
	value TEXT NOT NULL
);
