// Config history: one numbered version per distinct content of a config name, in SQLite (config_versions,
// migration 009). The store calls `saved` from its one write path (save, create, restore) and `seen` whenever
// it reads a file, so content changed on disk outside Spyre becomes a version the first time Spyre reads it
// and the history stays truthful. Content that equals the newest version's adds nothing: a version is a
// change. Bounded: each text is at most the store's 256 KiB cap, and only the newest KEPT_VERSIONS per name
// are kept, plus any version an environment was built from (the environment page names it).

import crypto from 'node:crypto';
import type { Db } from '../db';
import type { AuditActor } from '../audit';
import { SpyreError } from '../errors';
import type { ConfigVersionSource, ConfigVersionSummary, ConfigVersionView } from '$lib/shared/types/configs';

/** How many versions of one config name are kept (older ones go, unless an environment was built from them). */
export const KEPT_VERSIONS = 100;

export function sha256(text: string): string {
	return crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A row of SUMMARY_COLUMNS: the summary less the name, which the query is keyed by. */
type Row = Omit<ConfigVersionSummary, 'name'>;

const SUMMARY_COLUMNS = `version, sha256, size, source, restored_from AS restoredFrom, saved_at AS savedAt, saved_by_name AS savedBy`;

function summary(name: string, r: Row): ConfigVersionSummary {
	return { name, ...r };
}

export function createVersionLog(db: () => Db, now: () => number = Date.now) {
	function latest(name: string): ConfigVersionSummary | null {
		const row = db().prepare(`SELECT ${SUMMARY_COLUMNS} FROM config_versions WHERE config_name = ? ORDER BY version DESC LIMIT 1`).get(name) as Row | undefined;
		return row ? summary(name, row) : null;
	}

	/** Record `text` as the newest version of `name` unless it already is; returns the newest version. */
	function record(name: string, text: string, source: ConfigVersionSource, actor: AuditActor | null, restoredFrom: number | null = null): ConfigVersionSummary {
		const hash = sha256(text);
		// The common case (a read of unchanged content) costs one indexed SELECT and no write lock.
		const current = latest(name);
		if (current && current.sha256 === hash) return current;
		const d = db();
		return d.transaction((): ConfigVersionSummary => {
			const newest = latest(name);
			if (newest && newest.sha256 === hash) return newest;
			const version = (newest?.version ?? 0) + 1;
			d.prepare(
				`INSERT INTO config_versions (config_name, version, content, sha256, size, source, restored_from, saved_at, saved_by, saved_by_name)
				 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
			).run(name, version, text, hash, Buffer.byteLength(text, 'utf8'), source, restoredFrom, now(), actor?.userId ?? null, actor?.username ?? null);
			prune(name, version, d);
			return latest(name)!;
		})();
	}

	function prune(name: string, newest: number, d: Db): void {
		d.prepare(
			`DELETE FROM config_versions WHERE config_name = ? AND version <= ?
			   AND NOT EXISTS (SELECT 1 FROM environments e WHERE e.config_name = config_versions.config_name AND e.config_version = config_versions.version)`
		).run(name, newest - KEPT_VERSIONS);
	}

	function get(name: string, version: number): ConfigVersionView {
		if (!Number.isSafeInteger(version) || version < 1) throw new SpyreError('bad_request', 'A version is a whole number from 1.');
		const row = db().prepare(`SELECT ${SUMMARY_COLUMNS}, content FROM config_versions WHERE config_name = ? AND version = ?`).get(name, version) as (Row & { content: string }) | undefined;
		if (!row) throw new SpyreError('not_found', `Config ${name} has no version ${version}.`);
		const { content, ...rest } = row;
		return { ...summary(name, rest), content };
	}

	return {
		latest,
		get,

		/** A write through Spyre: who saved it, and how (save, create, restore of an earlier version). */
		saved(name: string, text: string, source: Exclude<ConfigVersionSource, 'disk'>, actor: AuditActor, restoredFrom: number | null = null): ConfigVersionSummary {
			return record(name, text, source, actor, restoredFrom);
		},

		/** Spyre read the file: new content (changed outside Spyre) becomes a version with no author. */
		seen(name: string, text: string): ConfigVersionSummary {
			return record(name, text, 'disk', null);
		},

		/** Newest first. */
		list(name: string): ConfigVersionSummary[] {
			const rows = db().prepare(`SELECT ${SUMMARY_COLUMNS} FROM config_versions WHERE config_name = ? ORDER BY version DESC`).all(name) as Row[];
			return rows.map((r) => summary(name, r));
		}
	};
}

export type VersionLog = ReturnType<typeof createVersionLog>;
