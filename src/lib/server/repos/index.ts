// INTERIM (branch `review`): the interface of the repositories module (`spec.repos`), which the REPOS
// branch implements for real (cloning at provisioning, credentials kept by Spyre); the integrator takes
// that file on merge. This stand-in reads nothing but the environment's config and pushes with the work
// tree's own git and no credential. Used as `import * as repos from '$lib/server/repos'`.

import * as configs from '../configs';
import { SpyreError } from '../errors';
import { getEnvironment } from '../environments/repo';
import { requireReachable } from '../environments/reachable';
import * as ssh from '../ssh';
import { command } from '../shell';

export interface RepoSpec {
	url: string;
	ref: string;
	path: string;
	depth?: number;
	credential?: string;
}

/** The repos of the environment's config (none when it has no config, or the config has no repos). */
export function reposOf(envId: string): RepoSpec[] {
	const name = getEnvironment(envId)?.config_name;
	if (!name) return [];
	try {
		const spec = configs.resolveConfig(name).config.spec as { repos?: unknown };
		if (!Array.isArray(spec.repos)) return [];
		return spec.repos.filter((r): r is RepoSpec => typeof r === 'object' && r !== null && typeof (r as RepoSpec).path === 'string' && typeof (r as RepoSpec).url === 'string');
	} catch {
		return [];
	}
}

export function repoAt(envId: string, path: string): RepoSpec {
	const repo = reposOf(envId).find((r) => r.path === path);
	if (!repo) throw new SpyreError('not_found', `${path} is not one of this environment's repositories.`);
	return repo;
}

/** Push `branch` to the repo's URL (or, with an empty URL, the work tree's `origin`). */
export async function push(envId: string, repo: RepoSpec, branch: string): Promise<{ output: string }> {
	if (repo.url.startsWith('-')) throw new SpyreError('validation', 'A repository URL cannot start with "-".');
	const target = requireReachable(envId);
	const remote = repo.url || 'origin';
	const r = await ssh.exec(target, `${command('git', '-C', repo.path, 'push', '--porcelain', remote, `refs/heads/${branch}:refs/heads/${branch}`)} 2>&1`, {
		timeoutMs: 120_000,
		maxOutputBytes: 256 * 1024
	});
	// The CT's words: printable text only, bounded.
	const output = r.stdout
		.replace(/[^\P{Cc}\n\t]/gu, '')
		.trim()
		.slice(-4000);
	if (r.code !== 0) throw new SpyreError('conflict', `git push of ${branch} failed: ${output.split('\n').slice(-6).join('\n') || `exit ${r.code}`}`);
	return { output };
}
