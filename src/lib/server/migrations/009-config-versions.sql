-- Config history. Every save through Spyre (save, create, restore) and every new content Spyre first sees on
-- disk (a file edited outside Spyre) is one numbered version per config name: its whole text (at most
-- 256 KiB, the store's cap), its SHA-256, when and by whom (the user id and, since users can be deleted, the
-- name as it was). Versions outlive the config's file, so an environment built from a deleted config still
-- says what it was built from. Pruning (configs/versions.ts) keeps the newest 100 per name and any version
-- an environment was built from.
CREATE TABLE config_versions (
	id            INTEGER PRIMARY KEY,
	config_name   TEXT    NOT NULL,
	version       INTEGER NOT NULL CHECK (version >= 1),
	content       TEXT    NOT NULL,
	sha256        TEXT    NOT NULL CHECK (length(sha256) = 64),
	size          INTEGER NOT NULL CHECK (size >= 0),
	source        TEXT    NOT NULL CHECK (source IN ('save', 'create', 'restore', 'disk')),
	restored_from INTEGER CHECK (restored_from IS NULL OR restored_from >= 1),
	saved_at      INTEGER NOT NULL,
	saved_by      INTEGER REFERENCES users(id) ON DELETE SET NULL,
	saved_by_name TEXT,
	UNIQUE (config_name, version)
);

-- Which config version an environment was last built from (a create or a retry), and which version each
-- provision run built, so the environment page can say "built from dev-web v3" and whether it changed since.
ALTER TABLE environments ADD COLUMN config_version INTEGER;
ALTER TABLE environments ADD COLUMN config_sha256 TEXT;
ALTER TABLE provision_runs ADD COLUMN config_version INTEGER;
