-- Repository credentials (issue 19, item 1): named deploy keys and tokens that `spec.repos[].credential`
-- names. The secret (an ssh private key, or a token) is sealed with AES-256-GCM under a key kept in a 0600
-- file of the data dir (repos/credentials.ts); the row binds name, kind, username, known_hosts and
-- updated_at to the ciphertext as associated data, so a swapped row does not open. What is public stays in
-- the clear: the token's username, the key's public half and fingerprint (for the git server's deploy-key
-- form) and the known_hosts lines. The secret is never read back to a browser.
CREATE TABLE repo_credentials (
	name         TEXT    PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 63),
	kind         TEXT    NOT NULL CHECK (kind IN ('ssh_key', 'token')),
	username     TEXT,
	public_key   TEXT,
	fingerprint  TEXT,
	known_hosts  TEXT,
	iv           BLOB    NOT NULL,
	tag          BLOB    NOT NULL,
	data         BLOB    NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	last_used_at INTEGER
);
