// Running one git operation (clone, push) in an environment over SSH with a repo's stored credential: the
// credential session around it (commands.ts says how the secret is held), git's output as scrubbed lines,
// and a failure as a GitError whose message says why in words (credential refused, no such repository,
// push refused, host key changed, server unreachable) with git's last lines. The secret never reaches a
// line, an error or a log: every line passes `scrubber` first.

import { requireReachable } from '../environments/reachable';
import { SpyreError, messageOf } from '../errors';
import * as ssh from '../ssh';
import { LineSplitter } from '../ssh/line-splitter';
import { credentialFits, gitRefProblem, gitUrlProblem, normaliseRepoPath, parseGitUrl } from '$lib/shared/validation/git';
import { cleanupCommand, parseSession, prepareCommand, tokenCredentialInput, type GitSession } from './commands';
import { secretOf, type CredentialSecret } from './credentials';
import type { RepoSpec } from './types';

/** Lines of git's output a failure carries. */
export const FAILURE_LINES = 20;
const SHORT_MS = 30_000;

export type GitFailure = 'credential' | 'not_found' | 'ref' | 'refused' | 'host_key' | 'unreachable' | 'cancelled' | 'timeout' | 'other';

export class GitError extends SpyreError {
	readonly failure: GitFailure;
	readonly lastLines: string[];
	constructor(failure: GitFailure, message: string, lastLines: string[]) {
		super(failure === 'timeout' ? 'timeout' : 'conflict', message);
		this.name = 'GitError';
		this.failure = failure;
		this.lastLines = lastLines;
	}
}

const WHY: Array<[GitFailure, RegExp, string]> = [
	[
		'host_key',
		/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No .* host key is known/i,
		"the git server's host key is not the one expected (check the credential's known_hosts)"
	],
	[
		'credential',
		/Permission denied \(publickey|Authentication failed|could not read (Username|Password)|Access denied|terminal prompts disabled|returned error: 40[13]|HTTP 40[13]/i,
		'the git server refused the credential'
	],
	['ref', /Remote branch .* not found|couldn't find remote ref|not our ref|unadvertised object/i, 'the ref is not in the repository'],
	[
		'not_found',
		/Repository not found|does not appear to be a git repository|not found|No such file or directory|returned error: 404|HTTP 404/i,
		'the repository does not exist on the server (or the credential may not see it)'
	],
	['refused', /\[rejected\]|\[remote rejected\]|failed to push|non-fast-forward|hook declined|! \[/i, 'the git server refused the push'],
	[
		'unreachable',
		/Could not resolve host|Connection refused|Connection timed out|No route to host|Network is unreachable|Failed to connect/i,
		'the git server could not be reached from the environment'
	]
];

/** Why git failed, from its output: the first rule (in the order above) that matches. */
export function classify(lines: readonly string[]): { failure: GitFailure; why: string } {
	const text = lines.join('\n');
	for (const [failure, re, why] of WHY) if (re.test(text)) return { failure, why };
	return { failure: 'other', why: 'git failed' };
}

/** Replace every piece of `secrets` (and any user:password@ in a URL) in a line by ***. */
export function scrubber(credential: CredentialSecret | null): (line: string) => string {
	const pieces = !credential ? [] : credential.kind === 'token' ? [credential.secret] : credential.secret.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'));
	return (line) => {
		let out = line.replace(/(\w+:\/\/)[^/@\s]+@/g, '$1***@');
		for (const piece of pieces) out = out.split(piece).join('***');
		return out;
	};
}

/** Checks a RepoSpec from any caller with the config's own rules, so a bad value never reaches a shell. */
/** A work tree's path and a branch to push, when there is no URL (its own origin). */
export function checkWorkTree(path: string, branch: string): { path: string } {
	const refProblem = gitRefProblem(branch);
	if (refProblem) throw new SpyreError('validation', `The branch ${refProblem.replace(/\.$/, '')}.`);
	const normal = normaliseRepoPath(path);
	if ('problem' in normal) throw new SpyreError('validation', `The repository path ${normal.problem}.`);
	return { path: normal.path };
}

export function checkRepo(repo: RepoSpec): { path: string; url: ReturnType<typeof parseGitUrl> & object } {
	const urlProblem = gitUrlProblem(repo.url);
	if (urlProblem) throw new SpyreError('validation', `The repository URL ${urlProblem}.`);
	const refProblem = gitRefProblem(repo.ref);
	if (refProblem) throw new SpyreError('validation', `The ref ${refProblem.replace(/\.$/, '')}.`);
	const normal = normaliseRepoPath(repo.path);
	if ('problem' in normal) throw new SpyreError('validation', `The repository path ${normal.problem}.`);
	return { path: normal.path, url: parseGitUrl(repo.url)! };
}

function loadCredential(repo: RepoSpec, url: NonNullable<ReturnType<typeof parseGitUrl>>): CredentialSecret | null {
	if (!repo.credential) return null;
	const credential = secretOf(repo.credential);
	if (!credentialFits(credential.kind, url)) {
		const wanted = url.kind === 'ssh' ? 'a deploy key (ssh_key)' : 'a token';
		throw new SpyreError('validation', `The credential ${credential.name} is ${credential.kind === 'ssh_key' ? 'a deploy key' : 'a token'}, but ${repo.url} needs ${wanted}.`);
	}
	return credential;
}

export interface GitRunOptions {
	/** What the messages call the operation: `Cloning https://… into app`. */
	label: string;
	timeoutMs: number;
	onLine?: (line: string) => void;
	signal?: AbortSignal;
}

/**
 * Git progress redraws one line with \r: keep a progress line only when its percentage moved on by a
 * quarter or it says done, so a clone shows a handful of live lines, not thousands.
 */
function progressFilter(emit: (line: string) => void): (line: string) => void {
	const last = new Map<string, number>();
	return (line) => {
		const m = /^(?:remote: )?([A-Za-z][A-Za-z ]+):\s+(\d{1,3})%/.exec(line);
		if (!m) return emit(line);
		const pct = Number(m[2]);
		const prev = last.get(m[1]) ?? -100;
		if (pct - prev >= 25 || /done/.test(line) || pct === 100) {
			last.set(m[1], pct);
			emit(line);
		}
	};
}

/**
 * Run the command `build(session)` makes, as the SSH user, with the repo's credential held for just this
 * command. Resolves with the command's scrubbed output lines when it exits 0; otherwise a GitError.
 */
export async function runGit(envId: string, repo: RepoSpec, build: (session: GitSession | null) => string, opts: GitRunOptions): Promise<string[]> {
	const target = requireReachable(envId);
	// An empty URL is a work tree's own origin (see `push`): checked by the caller, never a credential.
	const url = repo.url === '' ? null : checkRepo(repo).url;
	const credential = url ? loadCredential(repo, url) : null;
	const scrub = scrubber(credential);
	const lines: string[] = [];
	const keep = (line: string) => {
		const clean = scrub(line);
		lines.push(clean);
		if (lines.length > 200) lines.splice(0, lines.length - 200);
		opts.onLine?.(clean);
	};
	const lifetime = Math.ceil(opts.timeoutMs / 1000) + 60;
	let session: GitSession | null = null;
	if (credential && url) session = await startSession(target, credential, url, lifetime, scrub);
	try {
		const filtered = progressFilter(keep);
		const splitters = { stdout: new LineSplitter(filtered), stderr: new LineSplitter(filtered) };
		// \r ends a line too: git redraws its progress lines with it.
		const feed = (which: 'stdout' | 'stderr') => (chunk: string) => splitters[which].push(chunk.replace(/\r(?!\n)/g, '\n'));
		let result: ssh.ExecStreamResult;
		try {
			result = await ssh.execStream(target, build(session), { onStdout: feed('stdout'), onStderr: feed('stderr'), signal: opts.signal, timeoutMs: opts.timeoutMs });
		} catch (err) {
			throw new GitError('unreachable', `${opts.label} could not run: ${scrub(messageOf(err))}`, lines.slice(-FAILURE_LINES));
		}
		splitters.stdout.end();
		splitters.stderr.end();
		const tail = lines.slice(-FAILURE_LINES);
		if (result.cancelled || opts.signal?.aborted) throw new GitError('cancelled', `${opts.label} was cancelled.`, tail);
		if (result.timedOut) throw new GitError('timeout', `${opts.label} timed out after ${Math.round(opts.timeoutMs / 1000)} s and was stopped.`, tail);
		if (result.code !== 0) {
			const { failure, why } = classify(tail);
			const said = tail.filter((l) => l.trim() !== '').slice(-5);
			throw new GitError(failure, `${opts.label} failed: ${why}.${said.length ? ` git said: ${said.join(' | ')}` : ''}`, tail);
		}
		return lines;
	} finally {
		if (session) await ssh.exec(target, cleanupCommand(session), { timeoutMs: SHORT_MS }).catch(() => undefined);
	}
}

async function startSession(
	target: ssh.SshTarget,
	credential: CredentialSecret,
	url: NonNullable<ReturnType<typeof parseGitUrl>>,
	lifetime: number,
	scrub: (s: string) => string
): Promise<GitSession> {
	const stdin = credential.kind === 'token' ? tokenCredentialInput(url.kind === 'http' ? 'http' : 'https', url.host, url.port, credential.username ?? 'git', credential.secret) : credential.secret;
	const result = await ssh.exec(target, prepareCommand(credential.kind, lifetime, credential.knownHosts), { stdin, timeoutMs: SHORT_MS });
	const session = result.code === 0 ? parseSession(credential.kind, result.stdout, credential.knownHosts !== null) : null;
	if (!session) {
		const said = scrub(result.stderr.trim().split('\n').slice(-3).join(' | ')) || `exit ${result.code}`;
		throw new GitError('credential', `The credential ${credential.name} could not be handed to git in the environment: ${said}`, []);
	}
	return session;
}
