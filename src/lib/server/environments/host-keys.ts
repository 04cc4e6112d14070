// The SSH pool's host-key store for environments: pins live in the environments table, beside the row
// they belong to (so forgetting a row forgets its pin). Implemented here rather than in ssh/ so ssh/ never
// imports environments/; start-up hands it to the process-wide pool (`useHostKeyStore`).

import { getDb, type Db } from '../db';
import type { HostKeyStore } from '../ssh/types';
import * as repo from './repo';

export function dbHostKeyStore(db: Db | (() => Db) = getDb): HostKeyStore {
	const handle = typeof db === 'function' ? db : () => db;
	return {
		get: (envId) => repo.getHostKeyFingerprint(envId, handle()),
		pin: (envId, fingerprint) => repo.pinHostKeyIfUnset(envId, fingerprint, handle()),
		set: (envId, fingerprint) => repo.setHostKeyFingerprint(envId, fingerprint, handle()),
		clear: (envId) => repo.setHostKeyFingerprint(envId, null, handle())
	};
}
