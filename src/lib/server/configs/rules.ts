// The value rules of the config format, one per kind of string a shell, a package manager or Proxmox will
// see. Each is a regex (exported, so the provisioner can re-check what it is about to run) wrapped in a zod
// schema with a message that says what is allowed. The rules are deliberately narrow: a value that passes
// carries no shell metacharacter where none belongs. The provisioner still quotes every one of them.

import { z } from 'zod';
import { IPV4_CIDR_RE, IPV4_RE } from '$lib/shared/validation/ipv4';
import { isUrlHost, URL_HOST_SHAPE } from '$lib/shared/validation/host';
import { DNS_LABEL_RE } from '$lib/shared/validation/environment';
import { CONFIG_NAME_RE } from '$lib/shared/validation/config-name';
import { PROXMOX_ID_RULES, proxmoxIdPattern, type ProxmoxIdKind } from '$lib/shared/validation/proxmox';
import { credentialNameProblem, gitRefProblem, gitUrlProblem, MAX_CLONE_DEPTH, normaliseRepoPath } from '$lib/shared/validation/git';

/** A control character (C0, DEL) other than tab and newline: nothing legitimate in a config needs one. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;
const NO_NEWLINE_CONTROL = /[\u0000-\u001f\u007f]/;

export const RE = {
	/** A config's name (the one rule, $lib/shared/validation/config-name). */
	slug: CONFIG_NAME_RE,
	/** Debian/RPM/APK names, optionally `:arch` and `=version`. Starts alphanumeric, so never an option. */
	packageName: /^[A-Za-z0-9][A-Za-z0-9+._-]{0,127}(:[a-z0-9]+)?(=[A-Za-z0-9.+~:_-]{1,128})?$/,
	/** POSIX portable user/group name (useradd's default NAME_REGEX). */
	posixName: /^[a-z_][a-z0-9_-]{0,31}$/,
	owner: /^[a-z_][a-z0-9_-]{0,31}(:[a-z_][a-z0-9_-]{0,31})?$/,
	envName: /^[A-Za-z_][A-Za-z0-9_]{0,127}$/,
	helperVar: /^var_[a-z0-9_]{1,64}$/,
	sha256: /^[0-9a-fA-F]{64}$/,
	/** One DNS label without `--`, as Proxmox accepts for a CT hostname (the one rule, $lib/shared/validation/environment). */
	hostname: DNS_LABEL_RE,
	/** A service name: the same rule, since it becomes part of a DNS label (`<service>--<hostname>`). */
	serviceName: DNS_LABEL_RE,
	/** IPv4 and IPv4/prefix: the shared rule in `$lib/shared/validation/ipv4` (no leading zeros). */
	ipv4: IPV4_RE,
	ipv4Cidr: IPV4_CIDR_RE,
	/** Octal file mode: 3 or 4 octal digits, optional leading 0. */
	mode: /^0?[0-7]{3,4}$/,
	model: /^[A-Za-z0-9][A-Za-z0-9._:[\]-]{0,127}$/,
	/** A Claude Code tool rule: `Read`, `Bash(git log:*)`, `mcp__server__tool`. */
	tool: /^[A-Za-z][A-Za-z0-9_-]{0,127}(\([^\u0000-\u001f\u007f]{1,512}\))?$/,
	sshKey: /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\u0000-\u001f\u007f]{0,256})?$/
} as const;

/** An absolute path with no `..` or `.` segment, no NUL or control character, no trailing slash. */
export function absolutePathProblem(p: string): string | null {
	if (!p.startsWith('/')) return 'must be an absolute path (start with /)';
	if (CONTROL.test(p) || p.includes('\n')) return 'must not contain control characters';
	if (p.length > 1024) return 'must be at most 1024 characters';
	const segments = p.split('/').slice(1);
	if (p !== '/' && p.endsWith('/')) return 'must not end with /';
	if (segments.some((s) => s === '..' || s === '.')) return 'must not contain . or .. segments';
	if (p.includes('//')) return 'must not contain //';
	return null;
}

/** A path relative to the configs directory (helper scripts, file sources): no escape upwards. */
export function relativePathProblem(p: string): string | null {
	if (p.startsWith('/')) return 'must be relative to the configs directory';
	if (!/^[A-Za-z0-9._/-]{1,255}$/.test(p)) return 'may use letters, digits, . _ - and / only';
	if (p.split('/').some((s) => s === '..' || s === '.' || s === '')) return 'must not contain empty, . or .. segments';
	return null;
}

const APT_PROXY_RE = new RegExp(String.raw`^http://(${URL_HOST_SHAPE})(?::(\d{1,5}))?/?$`);
/**
 * A package-manager proxy (apt-cacher-ng, squid…): `http://host[:port][/]` only. No user or password
 * (they would be written into every container), no path, query or quote, so the value is safe inside
 * apt.conf's double quotes; a shell still only sees it quoted.
 */
export function aptProxyProblem(url: string): string | null {
	const m = APT_PROXY_RE.exec(url);
	if (!m || !isUrlHost(m[1])) return 'must be a proxy URL like http://10.0.0.1:3142 (http, a host and a port; no user, password or path)';
	if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)) return 'must have a port between 1 and 65535';
	return null;
}

const NPM_REGISTRY_RE = new RegExp(String.raw`^https?://(${URL_HOST_SHAPE})(?::(\d{1,5}))?(?:/[A-Za-z0-9._~-]+)*/?$`);
/**
 * An npm registry (a mirror such as the demo's package proxy, Verdaccio, Nexus): `http(s)://host[:port]/path/`.
 * No user, password, query or fragment (they would be written into every container), and a path of plain
 * segments only, so the value is one safe `registry=` line of an npmrc; a shell still only sees it quoted.
 */
export function npmRegistryProblem(url: string): string | null {
	const m = url.length > 512 ? null : NPM_REGISTRY_RE.exec(url);
	if (!m || !isUrlHost(m[1])) return 'must be a registry URL like http://10.0.0.1:3142/ (http or https, a host, an optional port and path; no user, password or query)';
	if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)) return 'must have a port between 1 and 65535';
	if (/(^|\/)\.{1,2}(\/|$)/.test(url.replace(/^https?:\/\/[^/]*/, ''))) return 'must not have . or .. path segments';
	return null;
}

const pattern = (re: RegExp, message: string) => z.string().regex(re, message);
const proxmoxId = (kind: ProxmoxIdKind) => pattern(proxmoxIdPattern(kind), PROXMOX_ID_RULES[kind]);

export const slug = pattern(RE.slug, 'must be a slug: lowercase letters, digits and -, starting with a letter or digit, at most 63');
export const packageName = pattern(RE.packageName, 'must be a package name (letters, digits, + . _ -, optional :arch and =version), not starting with - or a symbol');
export const posixName = pattern(RE.posixName, 'must be a POSIX user or group name: lowercase letter or _, then a-z 0-9 _ -, at most 32');
export const owner = pattern(RE.owner, "must be 'user' or 'user:group' with POSIX names");
export const envName = pattern(RE.envName, 'must be an environment variable name: letters, digits and _, not starting with a digit');
export const sha256 = pattern(RE.sha256, 'must be a SHA-256 digest: 64 hex characters');
export const hostname = pattern(RE.hostname, 'must be a hostname: one DNS label, lowercase letters, digits and single -');
export const serviceName = pattern(RE.serviceName, 'must be a service name: one DNS label (lowercase letters, digits and single -, not starting or ending with -)');
export const nodeName = proxmoxId('node');
export const storageId = proxmoxId('storage');
export const templateId = proxmoxId('template');
export const bridge = proxmoxId('bridge');
export const tag = proxmoxId('tag');
export const ipv4 = pattern(RE.ipv4, 'must be an IPv4 address, e.g. 10.0.0.1');
export const sshKey = pattern(RE.sshKey, 'must be one OpenSSH public key line: type, base64 key, optional comment');
export const model = pattern(RE.model, 'must be a model name such as sonnet, opus or claude-sonnet-4-5');
export const tool = pattern(RE.tool, 'must be a tool rule such as Read, Edit or Bash(git log:*)');

export const absPath = z.string().superRefine((p, ctx) => {
	const problem = absolutePathProblem(p);
	if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
export const relPath = z.string().superRefine((p, ctx) => {
	const problem = relativePathProblem(p);
	if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Free text a shell may see as an argument or environment value: one line, no control characters. */
export const lineText = (max: number) =>
	z
		.string()
		.max(max, `must be at most ${max} characters`)
		.refine((s) => !NO_NEWLINE_CONTROL.test(s), 'must be one line without control characters');

/** Multi-line text (file contents, scripts): no NUL or other control characters except tab and newline. */
export const blockText = (max: number) =>
	z
		.string()
		.max(max, `must be at most ${max} characters`)
		.refine((s) => !CONTROL.test(s.replace(/\r\n/g, '\n')), 'must not contain NUL or control characters');

export const httpsUrl = z
	.string()
	.max(2048)
	.refine((s) => URL.canParse(s) && new URL(s).protocol === 'https:' && !/[\s\u0000-\u001f]/.test(s), 'must be an https:// URL');

export const aptProxy = z.string().superRefine((s, ctx) => {
	const problem = aptProxyProblem(s);
	if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** A registry URL as npm uses it: a base it appends package names to, so it ends in exactly one slash. */
export function registryBase<T extends string | undefined>(url: T): T {
	return (url === undefined ? undefined : `${url.replace(/\/+$/, '')}/`) as T;
}

export const npmRegistry = z.string().superRefine((s, ctx) => {
	const problem = npmRegistryProblem(s);
	if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Seconds, 1 s to 24 h. */
export const timeoutSeconds = z.number().int('must be a whole number of seconds').min(1).max(86_400);

/** File modes arrive as strings (the YAML source text is kept, so `0644` is not read as decimal 644). */
export const fileMode = z.union([z.string().regex(RE.mode, "must be an octal mode such as '0644' or '0755'"), z.number().int().min(0).max(0o7777)]);

export function parseMode(mode: string | number): number {
	return typeof mode === 'number' ? mode : parseInt(mode, 8);
}

/** A zod string checked by one of the shared `…Problem` predicates (null = fine). */
const checkedBy = (problem: (s: string) => string | null) =>
	z.string().superRefine((s, ctx) => {
		const found = problem(s);
		if (found) ctx.addIssue({ code: 'custom', message: found.replace(/\.$/, '') });
	});

/** The git rules of `spec.repos`, from `$lib/shared/validation/git` (shared with the credentials form and the runner). */
export const gitUrl = checkedBy(gitUrlProblem);
export const gitRef = checkedBy(gitRefProblem);
export const repoPath = checkedBy((p) => {
	const n = normaliseRepoPath(p);
	return 'problem' in n ? n.problem : null;
});
export const credentialName = checkedBy(credentialNameProblem);
export const cloneDepth = z.number().int('must be a whole number of commits').min(1).max(MAX_CLONE_DEPTH);
