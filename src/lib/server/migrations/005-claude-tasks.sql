-- Claude tasks: what the bridge needs to re-attach after a restart and to show a task without parsing
-- its events again. `out_offset` is the byte offset in the task's output file up to which every complete
-- line is stored; `last_seq` the seq of the newest stored event; `stored_bytes` what the events hold (a
-- per-task cap); `options` the resolved options as JSON; `snapshot` the Proxmox snapshot taken before it.
ALTER TABLE claude_tasks ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
ALTER TABLE claude_tasks ADD COLUMN out_offset INTEGER NOT NULL DEFAULT 0 CHECK (out_offset >= 0);
ALTER TABLE claude_tasks ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0 CHECK (last_seq >= 0);
ALTER TABLE claude_tasks ADD COLUMN stored_bytes INTEGER NOT NULL DEFAULT 0 CHECK (stored_bytes >= 0);
ALTER TABLE claude_tasks ADD COLUMN snapshot TEXT;
ALTER TABLE claude_tasks ADD COLUMN exit_code INTEGER;
ALTER TABLE claude_tasks ADD COLUMN result_subtype TEXT;
CREATE INDEX claude_tasks_created ON claude_tasks(created_at);
