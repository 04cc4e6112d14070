-- Service origins (docs/security.md, "Service origins"): a service is reached with a credential of its own, scoped to
-- its host, issued through a redirect handshake with Spyre. Only the SHA-256 of a credential is stored. A
-- credential lives at most as long as the Spyre session it came from and its environment (the cascades,
-- plus explicit deletes on sign-out and destroy).
CREATE TABLE service_credentials (
	token_hash TEXT PRIMARY KEY,
	session_hash TEXT NOT NULL REFERENCES sessions (token_hash) ON DELETE CASCADE,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	environment_id TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
	service TEXT NOT NULL,
	host TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX service_credentials_session ON service_credentials (session_hash);
CREATE INDEX service_credentials_environment ON service_credentials (environment_id);

-- Service DNS labels are now `<service>--<hostname>` (unambiguous); rows made before keep their routes
-- right only with the new label.
UPDATE services SET subdomain = name || '--' || (SELECT e.hostname FROM environments e WHERE e.id = services.environment_id)
	WHERE subdomain IS NOT NULL;
