-- Sign-in hardening (security issue 10).

-- Failed and refused sign-ins, counted per window instead of one audit row each: an unauthenticated
-- flood must not grow the append-only audit_log without bound. The first failure of a key in a window is
-- written to audit_log at once; the rest are counted here and flushed into one summary audit row when the
-- window ends (also at the next start-up, so a crash loses nothing). Rows are deleted once flushed.
-- `ip` and `username` are '*' when a window already holds too many distinct keys (spraying).
CREATE TABLE auth_failure_counts (
	window_start  INTEGER NOT NULL,
	ip            TEXT    NOT NULL,
	username      TEXT    NOT NULL,
	outcome       TEXT    NOT NULL CHECK (outcome IN ('failure', 'denied')),
	count         INTEGER NOT NULL CHECK (count >= 1),
	first_ts      INTEGER NOT NULL,
	last_ts       INTEGER NOT NULL,
	PRIMARY KEY (window_start, ip, username, outcome)
);

-- Where each user last signed in successfully: the global per-user limit still lets these addresses
-- try, so an attacker elsewhere cannot lock the real admin out.
CREATE TABLE login_known_ips (
	user_id          INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	ip               TEXT    NOT NULL,
	last_success_at  INTEGER NOT NULL,
	PRIMARY KEY (user_id, ip)
);
