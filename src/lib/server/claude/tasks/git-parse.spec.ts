import { afterEach, describe, expect, it } from 'vitest';
import { boundDiff, changeLimits, parseCommits, parseNumstat } from './git-parse';

const SHA1 = 'a'.repeat(40);
const SHA2 = 'b'.repeat(64);
const saved = { ...changeLimits };
afterEach(() => Object.assign(changeLimits, saved));

describe('parseCommits: git log -z --format=%H%x1f%s from a hostile CT', () => {
	it.each([
		[
			'two commits',
			`${SHA1}\x1fAdd a file\0${SHA2}\x1fSHA-256 repo\0`,
			[
				{ sha: SHA1, subject: 'Add a file' },
				{ sha: SHA2, subject: 'SHA-256 repo' }
			]
		],
		['a record that is no commit is dropped', `not-a-sha\x1fx\0${SHA1}\x1fok\0garbage\0`, [{ sha: SHA1, subject: 'ok' }]],
		['an upper-case or short sha is no sha', `${'A'.repeat(40)}\x1fx\0${'a'.repeat(39)}\x1fy\0`, []],
		['control characters in a subject become U+FFFD', `${SHA1}\x1f\x1b[31mred\r\0`, [{ sha: SHA1, subject: '\uFFFD[31mred\uFFFD' }]],
		['markup stays text', `${SHA1}\x1f<img src=x onerror=alert(1)>\0`, [{ sha: SHA1, subject: '<img src=x onerror=alert(1)>' }]],
		['nothing', '', []]
	])('%s', (_, raw, commits) => {
		expect(parseCommits(raw).commits).toEqual(commits);
	});

	it('a cut read drops the last record and says so', () => {
		expect(parseCommits(`${SHA1}\x1fwhole\0${SHA1}\x1fcu`, false)).toEqual({ commits: [{ sha: SHA1, subject: 'whole' }], truncated: true });
	});

	it('a long subject is cut; more commits than the limit are cut and say so', () => {
		changeLimits.maxCommits = 2;
		const r = parseCommits(`${SHA1}\x1f${'x'.repeat(1000)}\0`.repeat(3));
		expect(r.commits).toHaveLength(2);
		expect(r.commits[0].subject).toHaveLength(changeLimits.maxSubject);
		expect(r.truncated).toBe(true);
	});
});

describe('parseNumstat: git diff --numstat -z --no-renames from a hostile CT', () => {
	it.each([
		[
			'text and binary files',
			'3\t1\tsrc/a.ts\0-\t-\timg.png\0',
			[
				{ path: 'src/a.ts', added: 3, removed: 1 },
				{ path: 'img.png', added: null, removed: null }
			],
			3,
			1
		],
		['a path with tabs, newlines and shell metacharacters is data', "1\t0\ta\tb\n$(rm -rf /);'`\0", [{ path: "a\uFFFDb\uFFFD$(rm -rf /);'`", added: 1, removed: 0 }], 1, 0],
		[
			'negative, fractional, huge or leading-zero counts drop the record',
			'-1\t2\tx\0' + '1.5\t0\ty\0' + '99999999999\t0\tz\0' + '01\t0\tw\0' + '7\t0\tok\0',
			[{ path: 'ok', added: 7, removed: 0 }],
			7,
			0
		],
		['one dash is not binary', '-\t3\tx\0', [], 0, 0],
		['a record without a path is dropped', '1\t2\t\0' + '1\t2\0' + 'junk\0', [], 0, 0],
		['a record cut by the bounded read (no NUL after it) is dropped', '1\t1\tkept\0' + '2\t2\tsrc/lo', [{ path: 'kept', added: 1, removed: 1 }], 1, 1],
		['nothing', '', [], 0, 0]
	])('%s', (_, raw, files, added, removed) => {
		const r = parseNumstat(raw);
		expect(r.files).toEqual(files);
		expect([r.added, r.removed]).toEqual([added, removed]);
	});

	it('more files than the limit are cut and say so', () => {
		changeLimits.maxFiles = 3;
		const r = parseNumstat('1\t1\tf\0'.repeat(10));
		expect(r.files).toHaveLength(3);
		expect(r.added).toBe(3);
		expect(r.truncated).toBe(true);
	});
});

function fileDiff(name: string, hunks: number, linesPerHunk: number): string {
	let s = `diff --git a/${name} b/${name}\nindex 1111111..2222222 100644\n--- a/${name}\n+++ b/${name}\n`;
	for (let h = 0; h < hunks; h++) {
		s += `@@ -${h * 100 + 1},0 +${h * 100 + 1},${linesPerHunk} @@\n`;
		for (let i = 0; i < linesPerHunk; i++) s += `+line ${h}.${i}\n`;
	}
	return s;
}

describe('boundDiff: whole hunks and whole files within the byte limits', () => {
	it('a small diff is kept as it is', () => {
		const raw = fileDiff('a', 1, 3) + fileDiff('b', 2, 2);
		expect(boundDiff(raw)).toEqual({ diff: raw, truncated: false });
	});

	it('a file over the per-file limit keeps its header and the hunks that fit', () => {
		const one = fileDiff('big', 1, 10);
		changeLimits.maxFileDiffBytes = Buffer.byteLength(one) + 10;
		const r = boundDiff(fileDiff('big', 5, 10) + fileDiff('small', 1, 1));
		expect(r.truncated).toBe(true);
		expect(r.diff).toBe(one + fileDiff('small', 1, 1));
	});

	it('past the total limit whole files are left out', () => {
		const a = fileDiff('a', 1, 10);
		changeLimits.maxDiffBytes = Buffer.byteLength(a) * 2 + 5;
		const r = boundDiff(a + a + a);
		expect(r).toEqual({ diff: a + a, truncated: true });
	});

	it('an incomplete read leaves out the cut file; text before the first file is dropped', () => {
		const a = fileDiff('a', 1, 2);
		const r = boundDiff('warning: junk\n' + a + fileDiff('b', 1, 2).slice(0, 30), false);
		expect(r).toEqual({ diff: a, truncated: true });
	});

	it('counts bytes, not characters (multi-byte text)', () => {
		const a = fileDiff('ü', 1, 50).replaceAll('line', 'Zeile ü€');
		changeLimits.maxDiffBytes = a.length + 10; // fewer bytes than the text's UTF-8 size
		expect(Buffer.byteLength(a)).toBeGreaterThan(changeLimits.maxDiffBytes);
		expect(boundDiff(a)).toEqual({ diff: '', truncated: true });
	});
});
