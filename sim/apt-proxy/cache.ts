// The package proxy's cache directory: one file per upstream name (its SHA-256), which appears whole or not
// at all (written under a temporary name, then renamed), and a bound on the directory's size. When a new file
// takes the total over the bound, the least recently used files go until it is under 90 % of the bound.
// "Used" is the file's atime, set on every hit (the mount's relatime would not); its mtime stays the time it
// was fetched, which is what an index file's freshness is read from. Several proxies may share a directory
// (tests and the bench on one machine): each counts what it adds and rescans the directory before it prunes,
// so one proxy's prune sees the others' files; a file another proxy is serving may go (the open file stays
// readable until it is closed), and is fetched again on its next request.
// It must never touch a file that is not its own (only names it makes: 64 hex digits, or those plus .tmp-…).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

/** Pruning stops below this share of the bound, so one more file does not prune again at once. */
const LOW_WATER = 0.9;
/** A temporary file older than this is left over by a proxy that died mid-download. */
const STALE_TMP_MS = 60 * 60_000;
const OWN = /^[0-9a-f]{64}(\.tmp-.+)?$/;

export interface DiskCache {
	/** The cached copy of `key` when it is there and younger than `maxAgeMs` (null: never stale); marks it used. */
	fresh(key: string, maxAgeMs: number | null): string | null;
	/** A temporary name to write `key` under before commit(). */
	tempFor(key: string): string;
	/** Make a complete temporary file the cached copy of `key`, then prune if the bound is passed. */
	commit(tmp: string, key: string): void;
	/** Remove least recently used files until the directory is under the low-water mark; what went. */
	prune(): { files: number; bytes: number };
	/** Bytes in the directory as last counted (rescanned at every prune). */
	bytes(): number;
}

export function openDiskCache(dir: string, maxBytes: number, log: (line: string) => void = () => undefined): DiskCache {
	if (!(Number.isFinite(maxBytes) && maxBytes > 0)) throw new Error(`the cache bound must be a positive number of bytes, not ${maxBytes}`);
	mkdirSync(dir, { recursive: true, mode: 0o700 });
	const fileOf = (key: string) => join(dir, createHash('sha256').update(key).digest('hex'));

	/** Own files with their size and last use; stale temporary files are removed on the way. */
	function scan(): Array<{ file: string; size: number; used: number }> {
		const out: Array<{ file: string; size: number; used: number }> = [];
		for (const name of readdirSync(dir)) {
			if (!OWN.test(name)) continue;
			const file = join(dir, name);
			let st;
			try {
				st = statSync(file);
			} catch {
				continue; // another proxy removed it meanwhile
			}
			if (!st.isFile()) continue;
			if (name.includes('.tmp-')) {
				if (Date.now() - st.mtimeMs > STALE_TMP_MS) rmSync(file, { force: true });
				else out.push({ file, size: st.size, used: Number.POSITIVE_INFINITY }); // being written: counts, never pruned
				continue;
			}
			out.push({ file, size: st.size, used: st.atimeMs });
		}
		return out;
	}

	let total = scan().reduce((n, f) => n + f.size, 0);

	const cache: DiskCache = {
		fresh(key, maxAgeMs) {
			const file = fileOf(key);
			if (!existsSync(file)) return null;
			const st = statSync(file);
			if (maxAgeMs !== null && Date.now() - st.mtimeMs >= maxAgeMs) return null;
			const now = new Date();
			try {
				utimesSync(file, now, st.mtime);
			} catch {
				// pruned by another proxy meanwhile: the caller's open fails and it fetches again
			}
			return file;
		},
		tempFor(key) {
			return `${fileOf(key)}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
		},
		commit(tmp, key) {
			const size = statSync(tmp).size;
			renameSync(tmp, fileOf(key));
			total += size;
			if (total > maxBytes) cache.prune();
		},
		prune() {
			const files = scan();
			total = files.reduce((n, f) => n + f.size, 0);
			const removed = { files: 0, bytes: 0 };
			if (total <= maxBytes * LOW_WATER) return removed;
			files.sort((a, b) => a.used - b.used);
			for (const f of files) {
				if (total <= maxBytes * LOW_WATER || f.used === Number.POSITIVE_INFINITY) break;
				rmSync(f.file, { force: true });
				total -= f.size;
				removed.files++;
				removed.bytes += f.size;
			}
			log(`PRUNED ${removed.files} files (${removed.bytes} bytes, least recently used first): the cache holds ${total} of at most ${maxBytes} bytes`);
			return removed;
		},
		bytes: () => total
	};
	if (total > maxBytes) cache.prune();
	return cache;
}
