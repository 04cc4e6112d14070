-- An https service's certificate is checked by Caddy unless its config says tls_verify: false (a
-- self-signed certificate in a dev container). Existing rows keep the check on.
ALTER TABLE services ADD COLUMN tls_verify INTEGER NOT NULL DEFAULT 1 CHECK (tls_verify IN (0, 1));
