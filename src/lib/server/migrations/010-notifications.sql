-- Notifications (issue 19, item 5): the owner's webhook and what became of each delivery. The webhook URL
-- may itself be a secret (a Slack incoming-webhook path, an ntfy topic): it is stored here and never shown
-- again whole, nor logged or audited (only its origin is). `notify_deliveries` keeps the last deliveries
-- (notify/store.ts prunes to a bounded number) with their attempts and the last answer or error.
CREATE TABLE notify_settings (
	key   TEXT PRIMARY KEY CHECK (key IN ('webhook_url')),
	value TEXT NOT NULL
);

CREATE TABLE notify_deliveries (
	id           INTEGER PRIMARY KEY,
	created_at   INTEGER NOT NULL,
	kind         TEXT    NOT NULL,
	title        TEXT    NOT NULL,
	target       TEXT    NOT NULL,
	status       TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
	attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	http_status  INTEGER,
	error        TEXT,
	finished_at  INTEGER
);
CREATE INDEX notify_deliveries_created ON notify_deliveries(created_at);
