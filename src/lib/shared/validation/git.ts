// The rules for a git repository in a config (`spec.repos`) and for a stored repo credential, shared by
// the config schema, the credentials form and the server that runs git. One predicate per concept: a
// remote URL, a ref, a clone path, a credential name. Pure: no browser or server imports.
//
// The URL rule is narrow on purpose: git turns some URLs into commands (`ext::sh -c …`, any `<transport>::`
// form, an ssh host or user starting with `-` that ssh reads as an option, CVE-2017-1000117), and a URL
// reaches git's argv in a container. Only four shapes pass, each made of characters that no shell, ssh or
// git transport gives a meaning to; the runner still quotes every value.

import { isUrlHost, URL_HOST_SHAPE } from './host';

/** Control characters and whitespace: nothing in a URL, ref or path needs them. */
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f]/;

/** The host's shape; what it captures must pass the one host rule (`isUrlHost`, checked below). */
const HOST = URL_HOST_SHAPE;
/** A user name in an ssh URL: starts with a letter, digit or _, so ssh never reads it as an option. */
const USER = String.raw`[A-Za-z0-9_][A-Za-z0-9._-]{0,63}`;
/** A repository path on the server: plain characters, no `..` segment checked below. */
const REMOTE_PATH = String.raw`[A-Za-z0-9._~/+-]{1,1024}`;

const HTTP_URL_RE = new RegExp(String.raw`^(https?)://(${HOST})(?::(\d{1,5}))?(/${REMOTE_PATH})$`);
const SSH_URL_RE = new RegExp(String.raw`^ssh://(?:(${USER})@)?(${HOST})(?::(\d{1,5}))?(/${REMOTE_PATH})$`);
const SCP_URL_RE = new RegExp(String.raw`^(${USER})@(${HOST}):(?!/?-)(${REMOTE_PATH})$`);

/** git's `<transport>::<address>` form, which runs `git-remote-<transport>` (`ext::` runs any command). */
const TRANSPORT_RE = /^[A-Za-z][A-Za-z0-9+.-]*::/;

export type GitUrlKind = 'https' | 'http' | 'ssh';

export interface ParsedGitUrl {
	kind: GitUrlKind;
	host: string;
	/** Explicit port, or null for the transport's default. */
	port: number | null;
	user: string | null;
}

/**
 * A remote URL git may fetch from: `https://host[:port]/path`, `http://…` (allowed: a team's own git server
 * on the LAN, Gitea or GitLab at http://10.0.0.5:3000, often has no TLS; a token sent there is readable on
 * that network, and the config editor warns), `ssh://[user@]host[:port]/path` or scp-like `user@host:path`.
 * No user or password in an http(s) URL (a token belongs in a stored credential, never in a URL that git
 * writes into `.git/config`), no query or fragment, no `<transport>::`, `file://` or local path.
 */
export function parseGitUrl(url: string): ParsedGitUrl | null {
	if (url.length > 2048 || CONTROL_OR_SPACE.test(url) || url.startsWith('-') || TRANSPORT_RE.test(url)) return null;
	let m = HTTP_URL_RE.exec(url);
	if (m) return checked({ kind: m[1] as GitUrlKind, host: m[2], port: m[3] ? Number(m[3]) : null, user: null }, m[4]);
	m = SSH_URL_RE.exec(url);
	if (m) return checked({ kind: 'ssh', host: m[2], port: m[3] ? Number(m[3]) : null, user: m[1] ?? null }, m[4]);
	m = SCP_URL_RE.exec(url);
	if (m) return checked({ kind: 'ssh', host: m[2], port: null, user: m[1] }, m[3]);
	return null;
}

function checked(parsed: ParsedGitUrl, path: string): ParsedGitUrl | null {
	if (!isUrlHost(parsed.host)) return null;
	if (parsed.port !== null && (parsed.port < 1 || parsed.port > 65535)) return null;
	if (path.split('/').some((s) => s === '..')) return null;
	return parsed;
}

/** The message for a repo URL, or null when git may fetch it. */
export function gitUrlProblem(url: string): string | null {
	if (url === '') return 'Enter a repository URL.';
	if (TRANSPORT_RE.test(url)) return "must not use a git transport helper ('<transport>::…'): git would run it as a command";
	if (/^file:/i.test(url) || url.startsWith('/') || url.startsWith('.')) return 'must be a remote repository: local paths and file:// are refused';
	if (url.startsWith('-')) return 'must not start with -';
	if (CONTROL_OR_SPACE.test(url)) return 'must not contain spaces or control characters';
	if (/^https?:\/\/[^/]*@/i.test(url)) return 'must not carry a user or password: store them as a credential and name it in credential';
	if (parseGitUrl(url) === null) {
		return 'must be https://host/path, http://host/path, ssh://[user@]host[:port]/path or user@host:path (letters, digits and . _ ~ / + - in the path; no query, no .. segment, no option-like user or host)';
	}
	return null;
}

/**
 * A branch, tag or commit, by a safe subset of `git check-ref-format`: letters, digits and `. _ / -`;
 * no `..`, `//`, `@{`, leading `-`, `/` or `.`, component starting with `.`, trailing `/`, `.` or `.lock`.
 */
export function gitRefProblem(ref: string): string | null {
	if (ref === '') return 'Enter a branch, tag or commit.';
	if (ref.length > 255) return 'must be at most 255 characters';
	if (!/^[A-Za-z0-9._/-]+$/.test(ref)) return 'must be a branch, tag or commit: letters, digits and . _ / - only';
	if (ref.startsWith('-')) return 'must not start with -';
	if (ref.startsWith('/') || ref.endsWith('/') || ref.includes('//')) return 'must not start or end with / or contain //';
	if (ref.includes('..')) return 'must not contain ..';
	if (ref.split('/').some((c) => c.startsWith('.') || c.endsWith('.lock'))) return 'no part may start with . or end with .lock';
	if (ref.endsWith('.')) return 'must not end with .';
	return null;
}

/** A full commit id (SHA-1 or SHA-256): fetched and checked out rather than cloned with --branch. */
export function isCommitId(ref: string): boolean {
	return /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(ref);
}

/**
 * Where a repo is cloned: an absolute path, or one relative to the home of the user Spyre runs commands as
 * in the environment (`~/` may prefix it). Normalised (`./` and repeated or trailing `/` dropped, `~/`
 * removed) so one directory has one spelling; no `..`, no control character, no part starting with `-`.
 */
export function normaliseRepoPath(path: string): { path: string } | { problem: string } {
	if (path === '' || path === '~' || path === '~/') return { problem: "must name a directory (absolute, or relative to the user's home)" };
	if (/[\u0000-\u001f\u007f]/.test(path)) return { problem: 'must not contain control characters' };
	if (path.length > 1024) return { problem: 'must be at most 1024 characters' };
	const absolute = path.startsWith('/');
	const rest = path.startsWith('~/') ? path.slice(2) : path;
	if (rest.startsWith('~')) return { problem: "may start with ~/ (the user's home) but not name another user's home" };
	const parts = rest.split('/').filter((p) => p !== '' && p !== '.');
	if (parts.length === 0) return { problem: 'must not be / itself' };
	if (parts.includes('..')) return { problem: 'must not contain .. segments' };
	if (parts.some((p) => p.startsWith('-'))) return { problem: 'no part may start with -' };
	if (!parts.every((p) => /^[A-Za-z0-9._@+~-]+$/.test(p))) return { problem: 'may use letters, digits and . _ @ + ~ - in each part' };
	return { path: (absolute ? '/' : '') + parts.join('/') };
}

/** Deepest history a shallow clone may ask for. */
export const MAX_CLONE_DEPTH = 1_000_000;

/** A stored credential's name: what a config's `credential:` says. Lowercase slug, at most 63. */
export const CREDENTIAL_NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function credentialNameProblem(name: string): string | null {
	if (!name) return 'Enter a name.';
	if (name.length > 63) return 'A name has at most 63 characters.';
	if (!CREDENTIAL_NAME_RE.test(name)) return 'Use lowercase letters, digits and hyphens, starting with a letter or digit.';
	return null;
}

export const CREDENTIAL_KINDS = ['ssh_key', 'token'] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

/** Which URLs a credential kind can authenticate: a deploy key for ssh, a token for http(s). */
export function credentialFits(kind: CredentialKind, url: ParsedGitUrl): boolean {
	return kind === 'ssh_key' ? url.kind === 'ssh' : url.kind !== 'ssh';
}
