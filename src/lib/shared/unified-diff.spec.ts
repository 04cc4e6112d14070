import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_EDITS, unifiedDiff } from './unified-diff';

const labels = { from: 'a', to: 'b' };

/** Apply the diff with patch(1): the one check that the output is a real unified diff. */
function patched(before: string, diff: string): string {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-diff-spec-'));
	try {
		const file = path.join(dir, 'f');
		fs.writeFileSync(file, before);
		fs.writeFileSync(path.join(dir, 'p'), diff);
		execFileSync('patch', ['-s', '-f', file, path.join(dir, 'p')]);
		return fs.readFileSync(file, 'utf8');
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

const numbered = (n: number, change: (i: number) => string | null = () => null) => Array.from({ length: n }, (_, i) => change(i + 1) ?? `line ${i + 1}`).join('\n') + '\n';

describe('unifiedDiff', () => {
	it('is empty for equal texts', () => {
		expect(unifiedDiff('a\nb\n', 'a\nb\n', labels)).toBe('');
	});

	it('prints one changed line with three lines of context, as diff -u does', () => {
		const before = numbered(10);
		const after = numbered(10, (i) => (i === 5 ? 'five' : null));
		expect(unifiedDiff(before, after, labels)).toBe('--- a\n+++ b\n@@ -2,7 +2,7 @@\n line 2\n line 3\n line 4\n-line 5\n+five\n line 6\n line 7\n line 8\n');
	});

	it('splits far-apart changes into hunks and joins near ones', () => {
		const after = numbered(40, (i) => (i === 3 || i === 9 || i === 30 ? `changed ${i}` : null));
		const diff = unifiedDiff(numbered(40), after, labels);
		expect(diff.match(/^@@ .* @@$/gm)).toEqual(['@@ -1,12 +1,12 @@', '@@ -27,7 +27,7 @@']);
		expect(patched(numbered(40), diff)).toBe(after);
	});

	it('handles insertions at the start, deletions at the end, and empty texts', () => {
		expect(unifiedDiff('', 'x\n', labels)).toBe('--- a\n+++ b\n@@ -0,0 +1,1 @@\n+x\n');
		expect(unifiedDiff('x\n', '', labels)).toBe('--- a\n+++ b\n@@ -1,1 +0,0 @@\n-x\n');
		const before = numbered(5);
		const after = `new\n${numbered(3)}`;
		expect(patched(before, unifiedDiff(before, after, labels))).toBe(after);
	});

	it('marks a last line without a newline', () => {
		const diff = unifiedDiff('a\nb\n', 'a\nb', labels);
		expect(diff).toBe('--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n');
		expect(patched('a\nb\n', diff)).toBe('a\nb');
	});

	it('round-trips through patch(1) for reordered, duplicated and blank lines', () => {
		const before = 'spec:\n  a: 1\n\n  b: 2\n  a: 1\n  c: 3\n\nend\n';
		const after = '  c: 3\nspec:\n\n  a: 1\n  a: 1\n  b: 20\n\nend\nmore\n';
		expect(patched(before, unifiedDiff(before, after, labels))).toBe(after);
	});

	it('past MAX_EDITS, shows the differing middle as one replacement that still applies', () => {
		const before = numbered(MAX_EDITS + 10, (i) => `old ${i}`);
		const after = numbered(MAX_EDITS + 10, (i) => `new ${i}`);
		const diff = unifiedDiff(before, after, labels);
		expect(diff.match(/^@@ .* @@$/gm)).toEqual([`@@ -1,${MAX_EDITS + 10} +1,${MAX_EDITS + 10} @@`]);
		expect(patched(before, diff)).toBe(after);
	});
});
