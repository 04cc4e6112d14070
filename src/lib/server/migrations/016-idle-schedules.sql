-- Idle stop and schedules (src/lib/server/lifecycle/). One row per environment a provision gave a lifecycle:
-- `idle_stop_minutes` NULL means environment.yaml's `lifecycle.idle_stop_minutes` (read at each sweep, so
-- changing the default reaches every environment that did not set its own), 0 means never; `schedule` is the
-- config's validated `spec.lifecycle.schedule` as JSON, NULL for none. `stopped_by` says why Spyre itself
-- stopped it last ('idle' or 'schedule'; NULL once it runs again or a person stopped it), for the lists.
CREATE TABLE environment_lifecycle (
	environment_id TEXT PRIMARY KEY REFERENCES environments(id) ON DELETE CASCADE,
	idle_stop_minutes INTEGER CHECK (idle_stop_minutes IS NULL OR idle_stop_minutes >= 0),
	schedule TEXT,
	stopped_by TEXT CHECK (stopped_by IS NULL OR stopped_by IN ('idle', 'schedule')),
	stopped_at INTEGER
);
