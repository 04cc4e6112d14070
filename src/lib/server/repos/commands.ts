// The shell commands that clone and push a repo inside an environment, built from checked config data and
// quoted with the one shell helper. Pure: nothing here runs anything, so the specs can pin every command.
//
// How a credential is in the container only for one git command (docs/repos.md, "Credentials"):
//   1. `prepareCommand` runs with the secret on its stdin (never argv, environ or a file): a deploy key goes
//      into an ssh-agent started for this operation (`ssh-add -`), a token into git's in-memory
//      credential-cache daemon (`git credential-cache store`). Both listen on a socket in a fresh 0700
//      directory, both forget the secret on their own after `lifetime` seconds, and the command prints the
//      directory (and the agent's PID).
//   2. The git command runs with that socket, with `credential.helper` reset first (so no helper configured
//      in the container, such as `store`, writes the token to disk) and hooks off (a hook in the repo must
//      not run while the credential is reachable). An EXIT trap ends the agent or daemon and removes the
//      directory when git ends.
//   3. `cleanupCommand` does the same again from Spyre, whatever happened to step 2.

import { quote } from '../shell';
import type { CredentialKind } from '$lib/shared/validation/git';

/** Where a session's directory lives; `parseSession` refuses anything else (container output is hostile). */
const SESSION_DIR_RE = /^\/tmp\/spyre-git\.[A-Za-z0-9]{10}$/;

export interface GitSession {
	kind: CredentialKind;
	dir: string;
	/** The ssh-agent's PID (ssh_key only). */
	agentPid: number | null;
	/** The git server's known_hosts lines were given: ssh checks against them strictly. */
	pinnedHosts: boolean;
}

/**
 * Start the holder of the secret, which arrives on stdin. For a token, stdin is git's credential format
 * (see `tokenCredentialInput`). Prints `dir` then, for a key, the agent's PID.
 */
export function prepareCommand(kind: CredentialKind, lifetimeSeconds: number, knownHosts: string | null): string {
	const lifetime = Math.max(60, Math.round(lifetimeSeconds));
	const mkdir = `umask 077 && d=$(mktemp -d /tmp/spyre-git.XXXXXXXXXX)`;
	if (kind === 'token') {
		return [
			mkdir,
			`{ git credential-cache --socket "$d/cache" --timeout ${lifetime} store || { rm -rf -- "$d"; echo 'git credential-cache could not start (is git installed in the container?)' >&2; exit 3; }; }`,
			`printf '%s\\n' "$d"`
		].join(' && ');
	}
	const parts = [
		mkdir,
		`{ command -v ssh-agent >/dev/null && command -v ssh-add >/dev/null || { rm -rf -- "$d"; echo 'ssh-agent and ssh-add are missing: install openssh-client in the container' >&2; exit 3; }; }`,
		`eval "$(ssh-agent -s -a "$d/agent" -t ${lifetime})" >/dev/null`,
		`{ ssh-add -q - >/dev/null 2>&1 || { kill "$SSH_AGENT_PID"; rm -rf -- "$d"; echo 'ssh-add refused the deploy key' >&2; exit 3; }; }`
	];
	if (knownHosts) parts.push(`printf '%s\\n' ${quote(knownHosts)} > "$d/known_hosts"`);
	parts.push(`printf '%s\\n%s\\n' "$d" "$SSH_AGENT_PID"`);
	return parts.join(' && ');
}

/** git's credential protocol for `credential-cache store`: the token for one protocol and host[:port]. */
export function tokenCredentialInput(protocol: 'http' | 'https', host: string, port: number | null, username: string, token: string): string {
	return `protocol=${protocol}\nhost=${host}${port ? `:${port}` : ''}\nusername=${username}\npassword=${token}\n\n`;
}

/** What prepareCommand printed, checked: a session directory of ours and a PID, or null. */
export function parseSession(kind: CredentialKind, stdout: string, pinnedHosts: boolean): GitSession | null {
	const [dir, pid] = stdout.trim().split('\n');
	if (!SESSION_DIR_RE.test(dir ?? '')) return null;
	if (kind === 'token') return { kind, dir, agentPid: null, pinnedHosts: false };
	if (!/^[1-9][0-9]{0,9}$/.test(pid ?? '')) return null;
	return { kind, dir, agentPid: Number(pid), pinnedHosts };
}

/** End the agent or daemon and remove the directory; safe to run twice. */
export function cleanupCommand(session: GitSession): string {
	const stop = session.kind === 'token' ? `git credential-cache --socket ${quote(`${session.dir}/cache`)} exit >/dev/null 2>&1` : `kill ${session.agentPid} 2>/dev/null`;
	return `${stop}; rm -rf -- ${quote(session.dir)}; true`;
}

/**
 * `git -c …` options and environment every git command of an operation gets: no credential helper of the
 * container's, only the session's; no hooks; never a prompt (a missing or refused credential fails now).
 */
function gitPrefix(session: GitSession | null): { env: string; git: string } {
	const env = ['GIT_TERMINAL_PROMPT=0'];
	const git = ['git', '-c', 'credential.helper=', '-c', 'core.hooksPath=/dev/null'];
	const known = session?.pinnedHosts ? `${session.dir}/known_hosts` : '~/.ssh/known_hosts';
	// accept-new without the credential's known_hosts: the first key seen is kept in the user's known_hosts
	// and a changed key refuses (docs/repos.md, "Host keys").
	const strict = session?.pinnedHosts ? 'yes' : 'accept-new';
	env.push(quote(`GIT_SSH_COMMAND=ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=${strict} -o UserKnownHostsFile=${known}`));
	if (session?.kind === 'ssh_key') env.push(quote(`SSH_AUTH_SOCK=${session.dir}/agent`));
	if (session?.kind === 'token') git.push('-c', quote(`credential.helper=cache --socket ${session.dir}/cache`));
	// `env NAME=value …`: a quoted word is an argument of env, not a shell assignment, so quoting stays whole.
	return { env: `env ${env.join(' ')}`, git: git.join(' ') };
}

export interface CloneInput {
	url: string;
	ref: string;
	path: string;
	depth: number | null;
	/** The ref is a full commit id: clone without checkout, then fetch and check out that commit. */
	commit: boolean;
}

/** Exit codes of the clone command that are Spyre's own, with the message the step shows. */
export const CLONE_EXIT = { notRepo: 40, otherRemote: 41, notEmpty: 42, noGit: 43 } as const;

/**
 * Clone `url` at `ref` into `path` (relative to the SSH user's home), or leave an existing clone of the
 * same URL alone (a retried step must not destroy work). A failed clone leaves no directory behind: git
 * removes the one it made, and a commit that cannot be checked out removes the clone.
 */
export function cloneCommand(input: CloneInput, session: GitSession | null): string {
	const { env, git } = gitPrefix(session);
	const p = quote(input.path);
	const depth = input.depth ? ['--depth', String(input.depth)] : [];
	const lines = [
		`cd "$HOME" 2>/dev/null || cd /`,
		session ? `trap ${quote(cleanupCommand(session))} EXIT` : ':',
		`command -v git >/dev/null || { echo 'git is not installed in the container: add git to provision.packages' >&2; exit ${CLONE_EXIT.noGit}; }`,
		`mkdir -p -m 700 ~/.ssh`,
		`if [ -e ${p}/.git ]; then`,
		`  if [ "$(git -C ${p} config --get remote.origin.url)" = ${quote(input.url)} ]; then echo "${escapeDq(input.path)} is a clone of this repository already (HEAD $(git -C ${p} rev-parse --short HEAD 2>/dev/null)): left as it is."; exit 0; fi`,
		`  echo "${escapeDq(input.path)} is a clone of another repository: move it away or change spec.repos path." >&2; exit ${CLONE_EXIT.otherRemote}`,
		`fi`,
		`if [ -e ${p} ] && [ -n "$(ls -A ${p} 2>/dev/null)" ]; then echo "${escapeDq(input.path)} exists and is not empty: move it away or change spec.repos path." >&2; exit ${CLONE_EXIT.notEmpty}; fi`,
		`mkdir -p -- "$(dirname -- ${p})"`
	];
	if (!input.commit) {
		lines.push(`${env} ${git} clone --progress ${[...depth, '--branch', input.ref].map(quote).join(' ')} -- ${quote(input.url)} ${p}`);
	} else {
		lines.push(
			`${env} ${git} clone --progress --no-checkout ${depth.map(quote).join(' ')} -- ${quote(input.url)} ${p}`,
			`{ ${depth.length ? `${env} ${git} -C ${p} fetch --progress ${depth.map(quote).join(' ')} origin ${quote(input.ref)} && ` : ''}git -C ${p} -c core.hooksPath=/dev/null checkout --detach ${quote(input.ref)}; } || { rm -rf -- ${p}; echo "commit ${input.ref} is not in the repository (or the server does not serve it)." >&2; exit 1; }`
		);
	}
	return `set -e\n${lines.join('\n')}`;
}

/** Push `branch` of the clone at `path` to `url` (the config's URL, not the clone's remote, which the container could change). */
export function pushCommand(url: string, path: string, branch: string, session: GitSession | null): string {
	const { env, git } = gitPrefix(session);
	const p = quote(path);
	const refspec = quote(`refs/heads/${branch}:refs/heads/${branch}`);
	return [
		`cd "$HOME" 2>/dev/null || cd /`,
		session ? `trap ${quote(cleanupCommand(session))} EXIT` : ':',
		`[ -e ${p}/.git ] || { echo "${escapeDq(path)} is not a git repository in the container." >&2; exit ${CLONE_EXIT.notRepo}; }`,
		`git -C ${p} rev-parse --verify --quiet ${quote(`refs/heads/${branch}`)} >/dev/null || { echo "there is no branch ${branch} in ${escapeDq(path)}." >&2; exit 1; }`,
		`mkdir -p -m 700 ~/.ssh`,
		`${env} ${git} -C ${p} push --porcelain -- ${quote(url)} ${refspec}`
	].join('\n');
}

/** Checked values only (paths and refs of safe characters); still, nothing a double-quoted string expands. */
function escapeDq(s: string): string {
	return s.replace(/[\\"$`]/g, (c) => `\\${c}`);
}
