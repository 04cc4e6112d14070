-- Idle stop and schedules (src/lib/server/lifecycle/). One row per environment a provision gave a lifecycle:
-- `idle_stop_minutes` NULL means environment.yaml's `lifecycle.idle_stop_minutes` (read at each sweep, so
-- changing the default reaches every environment that did not set its own), 0 means never; `schedule` is the
-- config's validated `spec.lifecycle.schedule` as JSON, NULL for none.
CREATE TABLE environment_lifecycle (
	environment_id TEXT PRIMARY KEY REFERENCES environments(id) ON DELETE CASCADE,
	idle_stop_minutes INTEGER CHECK (idle_stop_minutes IS NULL OR idle_stop_minutes >= 0),
	schedule TEXT
);

-- Why Spyre itself stopped an environment ('idle' or 'schedule'), set by the stop job with the status and
-- cleared by every other stop and every start; the lists show it while the environment is stopped.
ALTER TABLE environments ADD COLUMN stopped_by TEXT CHECK (stopped_by IS NULL OR stopped_by IN ('idle', 'schedule'));
