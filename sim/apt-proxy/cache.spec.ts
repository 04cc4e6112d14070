import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDiskCache, type DiskCache } from './cache';

let dir: string;
let logged: string[];
beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), 'apt-proxy-cache-spec-'));
	logged = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Store `bytes` bytes under `key`, last used `usedSecondsAgo` ago (atime), fetched at the same moment (mtime). */
function put(cache: DiskCache, key: string, bytes: number, usedSecondsAgo = 0): void {
	const tmp = cache.tempFor(key);
	writeFileSync(tmp, Buffer.alloc(bytes, 1));
	const when = new Date(Date.now() - usedSecondsAgo * 1000);
	utimesSync(tmp, when, when);
	cache.commit(tmp, key);
}

const present = (cache: DiskCache, keys: string[]) => keys.filter((k) => cache.fresh(k, null) !== null);

describe('the proxy cache', () => {
	it('keeps what fits under the bound', () => {
		const cache = openDiskCache(dir, 1000);
		put(cache, 'a', 400);
		put(cache, 'b', 500);
		expect(present(cache, ['a', 'b'])).toEqual(['a', 'b']);
		expect(cache.bytes()).toBe(900);
	});

	it('past the bound, removes the least recently used files until under 90 % of it', () => {
		const cache = openDiskCache(dir, 1000, (l) => logged.push(l));
		put(cache, 'old', 300, 180);
		put(cache, 'mid', 300, 120);
		put(cache, 'new', 300, 60);
		expect(logged).toEqual([]);
		// 900 + 250 = 1150 > 1000: down to at most 900, the least recently used first — `old` alone is enough.
		put(cache, 'newest', 250);
		expect(present(cache, ['old', 'mid', 'new', 'newest'])).toEqual(['mid', 'new', 'newest']);
		expect(cache.bytes()).toBe(850);
		expect(logged).toEqual([expect.stringMatching(/^PRUNED 1 files \(300 bytes, least recently used first\): the cache holds 850 of at most 1000 bytes$/)]);
	});

	it('a hit makes a file recently used, and keeps its fetch time for freshness', () => {
		const cache = openDiskCache(dir, 1000);
		put(cache, 'index', 300, 600);
		put(cache, 'pool', 300, 300);
		// `index` was fetched 10 minutes ago: stale for a 5-minute index, but a hit of an immutable read marks it used.
		expect(cache.fresh('index', 5 * 60_000)).toBeNull();
		const f = cache.fresh('index', null)!;
		expect(Date.now() - statSync(f).mtimeMs).toBeGreaterThan(590_000);
		expect(Date.now() - statSync(f).atimeMs).toBeLessThan(5_000);
		put(cache, 'big', 500);
		// 1100 > 1000: the least recently used is now `pool`, not `index`.
		expect(present(cache, ['index', 'pool', 'big'])).toEqual(['index', 'big']);
	});

	it('prunes what is already there at open, leaves files not its own and files being written', () => {
		const first = openDiskCache(dir, 10_000);
		put(first, 'a', 600, 120);
		put(first, 'b', 600, 60);
		writeFileSync(join(dir, 'README'), 'not the cache');
		const writing = first.tempFor('c');
		writeFileSync(writing, Buffer.alloc(100, 1));
		const second = openDiskCache(dir, 1000);
		// 1300 > 1000 → down to ≤ 900: `a` (the oldest) goes; the temporary file counts but is never removed.
		expect(present(second, ['a', 'b'])).toEqual(['b']);
		expect(readdirSync(dir).sort()).toEqual(expect.arrayContaining(['README', writing.split('/').at(-1)!]));
		expect(second.bytes()).toBe(700);
	});

	it('refuses a bound that is not a positive number', () => {
		for (const bad of [0, -1, Number.NaN]) expect(() => openDiskCache(dir, bad)).toThrow(/positive number of bytes/);
	});
});
