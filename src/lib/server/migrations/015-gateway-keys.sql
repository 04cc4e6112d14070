-- Public keys owners add in Settings to sign in to the SSH gateway (`ssh <environment>@<spyre host>`).
-- `public_key` is the canonical OpenSSH line without its comment ("ssh-ed25519 AAAA…"); `fingerprint` is
-- OpenSSH's SHA256:… form, unique so the same key cannot be added twice (under two names or by two users).
CREATE TABLE gateway_keys (
	id            INTEGER PRIMARY KEY,
	user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	name          TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
	public_key    TEXT    NOT NULL,
	fingerprint   TEXT    NOT NULL UNIQUE,
	added_at      INTEGER NOT NULL,
	last_used_at  INTEGER
);
CREATE INDEX gateway_keys_user ON gateway_keys(user_id);
