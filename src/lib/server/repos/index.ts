// Git repositories of environments (`spec.repos`): which repos an environment has, cloning one during
// provisioning and pushing a branch back, with a credential Spyre keeps (repos/credentials) that is in the
// container only for the one git command that needs it. `import * as repos from '$lib/server/repos'`.

import { SpyreError } from '../errors';

/** One repository of a config, as resolved: `path` relative paths are relative to the SSH user's home. */
export interface RepoSpec {
	url: string;
	ref: string;
	path: string;
	depth?: number;
	credential?: string;
}

/** The environment's repos, from the config version it was built from (its newest provision run's snapshot). */
export function reposOf(envId: string): RepoSpec[] {
	void envId;
	return [];
}

/** One repo of the environment by its path; SpyreError not_found when the environment has no such repo. */
export function repoAt(envId: string, path: string): RepoSpec {
	const repo = reposOf(envId).find((r) => r.path === path);
	if (!repo) throw new SpyreError('not_found', `The environment has no repository at ${path}.`);
	return repo;
}

/** Clone `repo` into the environment (as the SSH user), streaming git's progress lines to `onLine`. */
export async function clone(envId: string, repo: RepoSpec, onLine?: (line: string) => void): Promise<void> {
	void envId;
	void repo;
	void onLine;
	throw new SpyreError('internal', 'not built yet');
}

/** Push `branch` of the clone at `repo.path` to its remote with the repo's stored credential. */
export async function push(envId: string, repo: RepoSpec, branch: string): Promise<{ output: string }> {
	void envId;
	void repo;
	void branch;
	throw new SpyreError('internal', 'not built yet');
}
