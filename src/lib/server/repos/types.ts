// The repo shape other modules code against (tasks, review, attempts): one `spec.repos` item as resolved.

/** One repository of a config. `path` is normalised: absolute, or relative to the SSH user's home. */
export interface RepoSpec {
	url: string;
	ref: string;
	path: string;
	depth?: number;
	credential?: string;
}
