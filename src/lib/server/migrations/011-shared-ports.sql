-- A port shared from the environment page ("Share" on a listening port) is a service row like a declared
-- one, with the same origin, route and credential rules; `shared` tells the two apart so a re-provision
-- (which replaces the declared services) keeps the shares and Unshare never removes a declared service.
ALTER TABLE services ADD COLUMN shared INTEGER NOT NULL DEFAULT 0 CHECK (shared IN (0, 1));
