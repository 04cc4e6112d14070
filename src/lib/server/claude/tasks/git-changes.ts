// The git side of a task's branch, inside its environment: before the task, check the repo and put it on
// the branch `spyre/<short task id>` (recording its commit); after it, read what changed (commits, files
// with line counts, the unified diff base → working tree, untracked new files included). Every value from
// data goes through `command()`/`quote()`; every read is bounded in the CT (`head -c`) before it travels;
// the output is parsed by git-parse.ts as hostile text. The user's index is never touched: the working
// tree is staged into a temporary index (GIT_INDEX_FILE) that is deleted afterwards.
//
// Git runs as root in the CT with the task's repo: hooks are switched off (core.hooksPath), fsmonitor too,
// and diffs use no external or textconv drivers. A repo's own filters still run on `git add`; that is code
// the task could have run anyway as root in its own CT, and nothing of it reaches Spyre but parsed text.

import crypto from 'node:crypto';
import * as ssh from '../../ssh';
import { SpyreError } from '../../errors';
import { command, quote } from '../../shell';
import type { SshTarget } from '../../ssh/types';
import type { TaskCommit, TaskFileChange } from '$lib/shared/types/claude';
import { boundDiff, changeLimits, isSha, parseCommits, parseNumstat } from './git-parse';

/** `spyre/` and the first 8 characters of the task id after `task-` (ids are [a-z0-9]). */
export function branchOf(taskId: string): string {
	const short = taskId.replace(/^task-/, '').slice(0, 8);
	if (!/^[a-z0-9]{8}$/.test(short)) throw new SpyreError('internal', `Unexpected task id ${taskId}.`);
	return `spyre/${short}`;
}

const GIT_SAFE = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', '-c', 'safe.directory=*', '-c', 'color.ui=false', '-c', 'diff.noprefix=false', '-c', 'diff.mnemonicPrefix=false'];

function git(...args: string[]): string {
	return command('git', ...GIT_SAFE, ...args);
}

const REPO_PROBLEMS: Record<string, string> = {
	missing: 'does not exist in the environment',
	'not-git': 'is not a git work tree',
	'not-top': 'is inside a git work tree but not its top level; name the top level',
	'no-commit': 'has no commit yet; commit something first so the task has a base',
	'no-git': 'cannot be used: git is not installed in the environment'
};

/** Checks and checkout in one script; it prints `spyre-repo:<problem>` or `spyre-repo:base <sha>`. */
export function startScript(path: string, branch: string): string {
	return [
		`command -v git >/dev/null 2>&1 || { echo spyre-repo:no-git; exit 0; }`,
		`cd -- ${quote(path)} 2>/dev/null || { echo spyre-repo:missing; exit 0; }`,
		`top=$(${git('rev-parse', '--show-toplevel')} 2>/dev/null) || { echo spyre-repo:not-git; exit 0; }`,
		`[ "$top" = "$(pwd -P)" ] || { echo spyre-repo:not-top; exit 0; }`,
		`base=$(${git('rev-parse', '--verify', '-q', 'HEAD^{commit}')}) || { echo spyre-repo:no-commit; exit 0; }`,
		// A continued task finds its branch there already; a new one makes it from whatever is checked out.
		`if ${git('rev-parse', '--verify', '-q', `refs/heads/${branch}`)} >/dev/null; then ${git('checkout', '-q', branch)}; else ${git('checkout', '-q', '-b', branch)}; fi || exit 4`,
		`echo "spyre-repo:base $base"`
	].join('\n');
}

/**
 * Put the repo on the task's branch; returns the commit it was at. A problem with the repo is a validation
 * error naming the path (for the task form); a failed checkout says git's own words.
 */
export async function startBranch(target: SshTarget, path: string, branch: string): Promise<{ base: string }> {
	const r = await ssh.exec(target, startScript(path, branch), { timeoutMs: 60_000, maxOutputBytes: 64 * 1024 });
	const said = r.stdout.trim().split('\n').at(-1) ?? '';
	const problem = /^spyre-repo:([a-z-]+)$/.exec(said)?.[1];
	if (problem) {
		const why = REPO_PROBLEMS[problem] ?? 'cannot be used';
		throw new SpyreError('validation', `The repository ${path} ${why}.`, { fields: { repo: why } });
	}
	const base = /^spyre-repo:base ([0-9a-f]+)$/.exec(said)?.[1];
	if (r.code !== 0 || !base || !isSha(base)) {
		const words = (r.stderr || r.stdout)
			.replace(/[^\P{Cc}\n]/gu, '')
			.trim()
			.slice(0, 500);
		throw new SpyreError('conflict', `Could not check out the branch ${branch} in ${path}: ${words || `exit ${r.code}`}`);
	}
	return { base };
}

export interface CollectedChanges {
	head: string | null;
	commits: TaskCommit[];
	files: TaskFileChange[];
	filesTruncated: boolean;
	added: number;
	removed: number;
	diff: string;
	diffTruncated: boolean;
}

const COMMITS_READ = 256 * 1024;
const NUMSTAT_READ = 2 * 1024 * 1024;

/** One script: head, commits base..HEAD, numstat and diff of base → working tree, each bounded, split by `marker`. */
export function collectScript(path: string, base: string, marker: string): string {
	const diffArgs = ['diff', '--cached', '--no-renames', '--no-ext-diff', '--no-textconv', '--no-color'];
	return [
		`cd -- ${quote(path)} 2>/dev/null || { echo spyre-repo:missing; exit 0; }`,
		`t=$(mktemp -d) || exit 5`,
		`trap 'rm -rf "$t"' EXIT`,
		`head=$(${git('rev-parse', '--verify', '-q', 'HEAD^{commit}')}) || head=none`,
		`${git('cat-file', '-e', `${base}^{commit}`)} 2>/dev/null || { echo spyre-repo:no-base; exit 0; }`,
		// The user's index stays as it is: the working tree goes into a copy of it.
		`real=$(${git('rev-parse', '--git-path', 'index')}) || exit 5`,
		`if [ -f "$real" ]; then cp -- "$real" "$t/index" || exit 5; fi`,
		`export GIT_INDEX_FILE="$t/index"`,
		`${git('add', '-A', '--', '.')} >/dev/null 2>"$t/err" || { echo spyre-repo:add-failed; head -c 1000 "$t/err"; exit 0; }`,
		`${git(...diffArgs, '--numstat', '-z', base)} > "$t/numstat" || exit 6`,
		`${git(...diffArgs, base)} > "$t/diff" || exit 6`,
		`echo "spyre-repo:head $head $(stat -c %s "$t/diff")"`,
		`printf %s ${quote(marker)}`,
		`${git('log', '-z', '--no-color', '--format=%H%x1f%s', `--max-count=${changeLimits.maxCommits + 1}`, `${base}..HEAD`)} 2>/dev/null | head -c ${COMMITS_READ}`,
		`printf %s ${quote(marker)}`,
		`head -c ${NUMSTAT_READ} "$t/numstat"`,
		`printf %s ${quote(marker)}`,
		`head -c ${changeLimits.maxReadBytes} "$t/diff"`
	].join('\n');
}

const COLLECT_PROBLEMS: Record<string, string> = {
	missing: 'The repository is gone from the environment.',
	'no-base': 'The commit the task started from is no longer in the repository.',
	'add-failed': 'git could not stage the working tree (in a temporary index)'
};

/** Read what changed since `base`, bounded, from the environment. */
export async function collect(target: SshTarget, path: string, base: string): Promise<CollectedChanges> {
	if (!isSha(base)) throw new SpyreError('internal', 'The recorded base is not a commit id.');
	// Random per run: the task cannot have written it into a subject, a path or the diff in advance.
	const marker = `<spyre-${crypto.randomBytes(16).toString('hex')}>`;
	const r = await ssh.exec(target, collectScript(path, base, marker), { timeoutMs: 120_000, maxOutputBytes: 16 * 1024 * 1024 });
	const [head, commitsRaw, numstatRaw, diffRaw] = r.stdout.split(marker);
	const problem = /^spyre-repo:([a-z-]+)(?:\n|$)/.exec(head ?? '');
	if (problem) {
		const detail =
			problem[1] === 'add-failed'
				? `: ${(head ?? '')
						.slice(problem[0].length)
						.replace(/[^\P{Cc}\n]/gu, '')
						.trim()
						.slice(0, 300)}`
				: '';
		throw new SpyreError('conflict', `${COLLECT_PROBLEMS[problem[1]] ?? 'The changes could not be read'}${detail}`);
	}
	const m = /^spyre-repo:head (none|[0-9a-f]{40}|[0-9a-f]{64}) (\d{1,15})\n?$/.exec((head ?? '').trim());
	if (r.code !== 0 || !m || diffRaw === undefined) {
		throw new SpyreError(
			'ssh',
			`Could not read the changes in ${path}: ${
				(r.stderr || '')
					.replace(/[^\P{Cc}\n]/gu, '')
					.trim()
					.slice(0, 300) || `exit ${r.code}`
			}`
		);
	}
	const diffSize = Number(m[2]);
	const commits = parseCommits(commitsRaw, Buffer.byteLength(commitsRaw) < COMMITS_READ);
	const numstat = parseNumstat(numstatRaw);
	const diff = boundDiff(diffRaw, diffSize <= changeLimits.maxReadBytes);
	return {
		head: m[1] === 'none' ? null : m[1],
		commits: commits.commits,
		files: numstat.files,
		filesTruncated: numstat.truncated,
		added: numstat.added,
		removed: numstat.removed,
		diff: diff.diff,
		diffTruncated: diff.truncated
	};
}
