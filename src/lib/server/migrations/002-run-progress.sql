-- Progress for long runs (provisioning's three phases): each step event says which phase it belongs to,
-- its position (i of n) and the run's overall percentage; the run keeps its latest percentage so a page
-- loaded mid-run can draw the bar without replaying every event. All nullable: old rows have none.
ALTER TABLE provision_events ADD COLUMN phase TEXT CHECK (phase IS NULL OR phase IN ('create', 'helper', 'provision'));
ALTER TABLE provision_events ADD COLUMN step_index INTEGER CHECK (step_index IS NULL OR step_index >= 1);
ALTER TABLE provision_events ADD COLUMN step_total INTEGER CHECK (step_total IS NULL OR step_total >= 1);
ALTER TABLE provision_events ADD COLUMN percent INTEGER CHECK (percent IS NULL OR percent BETWEEN 0 AND 100);
ALTER TABLE provision_runs ADD COLUMN percent INTEGER CHECK (percent IS NULL OR percent BETWEEN 0 AND 100);
