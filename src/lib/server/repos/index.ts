// Git repositories of environments (`spec.repos`): which repos an environment has, cloning one during
// provisioning and pushing a branch back, with a credential Spyre keeps (credentials.ts) that is in the
// container only for the one git command that needs it (commands.ts, run.ts).
// `import * as repos from '$lib/server/repos'`. Git runs as Spyre's SSH user in the environment (the user
// Claude tasks run as), so a task works in the clone without git's "dubious ownership" refusal.

import { parse } from 'yaml';
import { SpyreError } from '../errors';
import * as environments from '../environments';
import * as jobs from '../jobs';
import { getConfig } from '../env-config';
import { credentialFits, isCommitId, parseGitUrl } from '$lib/shared/validation/git';
import { credentialKind } from './credentials';
import { cloneCommand, pushCommand } from './commands';
import { checkRepo, checkWorkTree, runGit } from './run';
import type { RepoSpec } from './types';

export type { RepoSpec } from './types';
export { GitError, type GitFailure } from './run';
export { listCredentials, createCredential, replaceCredential, deleteCredential, credentialExists } from './credentials';

/** A clone may take a while on a slow link or a big history; a push is smaller. */
export const CLONE_TIMEOUT_MS = 30 * 60_000;
export const PUSH_TIMEOUT_MS = 10 * 60_000;

/** The resolved config's repos as the run snapshot holds them (null depth/credential = unset). */
export function toRepoSpec(repo: { url: string; ref: string; path: string; depth?: number | null; credential?: string | null }): RepoSpec {
	const spec: RepoSpec = { url: repo.url, ref: repo.ref, path: repo.path };
	if (repo.depth) spec.depth = repo.depth;
	if (repo.credential) spec.credential = repo.credential;
	return spec;
}

/**
 * The environment's repos, from the config it was built from: the resolved config its newest provision
 * run snapshotted (bases included, as they were then), so an edit of the config since does not change
 * what the environment has. [] for an environment not built from a config.
 */
export function reposOf(envId: string): RepoSpec[] {
	environments.requireRow(envId);
	const snapshot = jobs.latestRun(envId, 'provision')?.configSnapshot;
	if (!snapshot) return [];
	let doc: unknown;
	try {
		doc = parse(snapshot);
	} catch {
		return [];
	}
	const repos = (doc as { spec?: { repos?: unknown } } | null)?.spec?.repos;
	if (!Array.isArray(repos)) return [];
	// Spyre wrote the snapshot from a checked config; a value that no longer passes the rules is skipped.
	return repos.map(toRepoSpec).filter((r) => {
		try {
			checkRepo(r);
			return true;
		} catch {
			return false;
		}
	});
}

/** One repo of the environment by its path (`~/app`, `app/` and `app` are one path); SpyreError not_found otherwise. */
export function repoAt(envId: string, path: string): RepoSpec {
	const all = reposOf(envId);
	const wanted = path
		.replace(/^~\//, '')
		.replace(/\/+$/, '')
		.replace(/\/{2,}/g, '/');
	// A task names its repo by absolute path (`/root/app`); a config may name it relative to the SSH user's home.
	const home = homeOf(getConfig().ssh.user);
	const relative = wanted.startsWith(`${home}/`) ? wanted.slice(home.length + 1) : wanted;
	const repo = all.find((r) => r.path === wanted || r.path === relative);
	if (!repo) {
		const known = all.length ? ` Its repositories: ${all.map((r) => r.path).join(', ')}.` : ' It has none (spec.repos).';
		throw new SpyreError('not_found', `The environment has no repository at ${path.slice(0, 200)}.${known}`);
	}
	return repo;
}

/**
 * Clone `repo` into the environment as the SSH user, streaming git's progress lines to `onLine`; an
 * existing clone of the same URL at the path is left alone. Throws GitError (why in words, git's last lines).
 */
export async function clone(envId: string, repo: RepoSpec, onLine?: (line: string) => void, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
	const { path } = checkRepo(repo);
	const input = { url: repo.url, ref: repo.ref, path, depth: repo.depth ?? null, commit: isCommitId(repo.ref) };
	await runGit(envId, repo, (session) => cloneCommand(input, session), {
		label: `Cloning ${repo.url} (${repo.ref}) into ${path}`,
		timeoutMs: opts.timeoutMs ?? CLONE_TIMEOUT_MS,
		onLine,
		signal: opts.signal
	});
}

/**
 * Push `branch` of the clone at `repo.path` to the repo's URL (the config's, never a remote the container
 * set) with the stored credential. Throws GitError when refused, the credential fails or the remote is gone.
 */
export async function push(envId: string, repo: RepoSpec, branch: string, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<{ output: string }> {
	// No URL: a work tree the config does not list, pushed to its own `origin` with no credential (nothing
	// of Spyre's is at stake: the container could push there itself).
	const toOrigin = repo.url === '';
	const { path } = toOrigin ? checkWorkTree(repo.path, branch) : checkRepo({ ...repo, ref: branch });
	const lines = await runGit(envId, repo, (session) => pushCommand(toOrigin ? 'origin' : repo.url, path, branch, session), {
		label: `Pushing ${branch} to ${toOrigin ? 'its origin' : repo.url}`,
		timeoutMs: opts.timeoutMs ?? PUSH_TIMEOUT_MS,
		signal: opts.signal
	});
	return { output: lines.join('\n') };
}

/**
 * Before a provision creates anything: every credential the config's repos name is stored and of the kind
 * its URL needs. A validation error naming each problem, so nothing is half-built for a typo.
 */
export function requireCredentials(repos: ReadonlyArray<{ url: string; path: string; credential: string | null }>): void {
	const problems: string[] = [];
	for (const repo of repos) {
		if (!repo.credential) continue;
		const kind = credentialKind(repo.credential);
		const url = parseGitUrl(repo.url);
		if (!kind) problems.push(`the credential ${repo.credential} (for ${repo.path}) is not stored in Spyre: add it in Settings → Repositories`);
		else if (url && !credentialFits(kind, url))
			problems.push(`the credential ${repo.credential} is ${kind === 'ssh_key' ? 'a deploy key' : 'a token'}, but ${repo.url} needs ${url.kind === 'ssh' ? 'a deploy key' : 'a token'}`);
	}
	if (problems.length > 0) {
		const message = `Cannot clone the config's repositories: ${problems.join('; ')}.`;
		throw new SpyreError('validation', message, { fields: { config: message } });
	}
}

/** The home of the SSH user Spyre runs commands as (where a relative repo path starts). */
function homeOf(user: string): string {
	return user === 'root' ? '/root' : `/home/${user}`;
}
