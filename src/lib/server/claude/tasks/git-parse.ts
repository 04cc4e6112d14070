// Parsing what git printed inside an environment about a task's changes. Every byte comes from the CT, which
// the task controlled: shapes are strict (anything else is dropped, never guessed at), counts and sizes are
// bounded, and paths and subjects stay plain data (no control characters; the page shows them as text).
// Pure functions; the commands that produce this output are in git-changes.ts.

import type { TaskCommit, TaskFileChange } from '$lib/shared/types/claude';

export const changeLimits = {
	/** Commits listed per task (base..HEAD, newest first). */
	maxCommits: 500,
	/** Files listed per task. */
	maxFiles: 5000,
	/** Characters of a commit subject or a path kept. */
	maxSubject: 300,
	maxPath: 4096,
	/** The stored diff, all files together (UTF-8 bytes). */
	maxDiffBytes: 2 * 1024 * 1024,
	/** One file's part of the stored diff: past it the file keeps its header and the whole hunks that fit. */
	maxFileDiffBytes: 512 * 1024,
	/** Read from the CT at most (the rest is never transferred). */
	maxReadBytes: 8 * 1024 * 1024
};

const SHA = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/;
// C0/C1 controls, DEL and the Unicode line/paragraph separators: never part of shown text.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

export function isSha(value: string): boolean {
	return SHA.test(value);
}

function plain(text: string, max: number): string {
	return text.replace(CONTROL, '\uFFFD').slice(0, max);
}

/**
 * `git log -z --format=%H%x1f%s`: records split by NUL, each `sha US subject`. A record of any other shape is
 * dropped. `truncated` when the list was cut at maxCommits.
 */
export function parseCommits(raw: string, complete = true): { commits: TaskCommit[]; truncated: boolean } {
	const commits: TaskCommit[] = [];
	let truncated = !complete;
	const records = raw.split('\0');
	// A bounded read that was cut ends inside a record: leave that one out.
	if (!complete) records.pop();
	for (const record of records) {
		const rec = record.replace(/^\n/, '');
		if (rec === '') continue;
		const sep = rec.indexOf('\x1f');
		if (sep < 0) continue;
		const sha = rec.slice(0, sep);
		if (!isSha(sha)) continue;
		if (commits.length >= changeLimits.maxCommits) {
			truncated = true;
			break;
		}
		commits.push({ sha, subject: plain(rec.slice(sep + 1), changeLimits.maxSubject) });
	}
	return { commits, truncated };
}

const COUNT = /^(?:0|[1-9][0-9]{0,9})$/;

/**
 * `git diff --numstat -z --no-renames`: records `ADDED TAB REMOVED TAB PATH NUL`, where a binary file has
 * `-` for both counts. Strict: a record of any other shape is dropped (never half-read), counts are bounded
 * integers, and a path keeps its bytes as data (control characters shown as U+FFFD).
 */
export function parseNumstat(raw: string): { files: TaskFileChange[]; added: number; removed: number; truncated: boolean } {
	const files: TaskFileChange[] = [];
	let added = 0;
	let removed = 0;
	let truncated = false;
	const records = raw.split('\0');
	// Every record ends with NUL: what follows the last one is empty, or a record cut by the bounded read.
	if (records.pop() !== '') truncated = true;
	for (const record of records) {
		if (record === '') continue;
		const m = /^([^\t]*)\t([^\t]*)\t([\s\S]+)$/.exec(record);
		if (!m) continue;
		const [, a, r, path] = m;
		const binary = a === '-' && r === '-';
		if (!binary && !(COUNT.test(a) && COUNT.test(r))) continue;
		if (files.length >= changeLimits.maxFiles) {
			truncated = true;
			break;
		}
		const add = binary ? null : Number(a);
		const rem = binary ? null : Number(r);
		added += add ?? 0;
		removed += rem ?? 0;
		files.push({ path: plain(path, changeLimits.maxPath), added: add, removed: rem });
	}
	return { files, added, removed, truncated };
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** A file's part of a unified diff split into its header (up to the first hunk) and its hunks. */
function splitFile(part: string): { header: string; hunks: string[] } {
	const lines = part.split(/(?<=\n)/);
	let i = 0;
	while (i < lines.length && !lines[i].startsWith('@@ ')) i++;
	const header = lines.slice(0, i).join('');
	const hunks: string[] = [];
	for (; i < lines.length; i++) {
		if (lines[i].startsWith('@@ ') || hunks.length === 0) hunks.push(lines[i]);
		else hunks[hunks.length - 1] += lines[i];
	}
	return { header, hunks };
}

/**
 * Bound a unified diff (`git diff`, files starting at `diff --git `): each file at most maxFileDiffBytes, all
 * together at most maxDiffBytes. Cuts happen between whole hunks or whole files, so what is kept still parses
 * as a diff; `truncated` says something was left out. `complete` false: the read from the CT itself was cut.
 */
export function boundDiff(raw: string, complete = true): { diff: string; truncated: boolean } {
	let truncated = !complete;
	const parts = raw.split(/^(?=diff --git )/m).filter((p) => p.startsWith('diff --git '));
	// An incomplete read ends in a cut file: leave it out rather than show half of it.
	if (!complete && parts.length > 0) parts.pop();
	let out = '';
	let total = 0;
	for (const part of parts) {
		let text = part.endsWith('\n') ? part : `${part}\n`;
		if (utf8(text) > changeLimits.maxFileDiffBytes) {
			const { header, hunks } = splitFile(text);
			text = header;
			for (const hunk of hunks) {
				if (utf8(text) + utf8(hunk) > changeLimits.maxFileDiffBytes) break;
				text += hunk;
			}
			truncated = true;
		}
		const size = utf8(text);
		if (total + size > changeLimits.maxDiffBytes) {
			truncated = true;
			break;
		}
		out += text;
		total += size;
	}
	return { diff: out, truncated };
}
