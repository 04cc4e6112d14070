// The shell commands the provision phase runs inside a container, built from config data. Every value goes
// through `quote`; nothing here runs anything. Each builder returns one `sh -c`-able command that is safe to
// re-run (a retry repeats a step from its start), so users are created only when missing and groups only
// when absent.

import type { ResolvedScript, ResolvedUser } from '$lib/shared/types/configs';
import { command, quote } from '../shell';

/** Where the provisioner keeps uploaded scripts inside a container (root only). */
export const REMOTE_DIR = '/var/lib/spyre';

/** Create (or update) one user: groups created when missing, shell set, SSH keys installed. */
export function userCommand(user: ResolvedUser): string {
	const name = quote(user.name);
	const parts: string[] = [];
	for (const g of user.groups) parts.push(`{ getent group ${quote(g)} >/dev/null || groupadd ${quote(g)}; }`);
	const create = ['useradd', '-m', '-U'];
	if (user.shell) create.push('-s', user.shell);
	parts.push(`{ id -u ${name} >/dev/null 2>&1 || ${command(create[0], ...create.slice(1), user.name)}; }`);
	if (user.shell) parts.push(command('usermod', '-s', user.shell, user.name));
	if (user.groups.length > 0) parts.push(command('usermod', '-a', '-G', user.groups.join(','), user.name));
	if (user.ssh_keys.length > 0) {
		const keys = user.ssh_keys.join('\n') + '\n';
		// useradd leaves the password field '!' (locked). An sshd without PAM (Alpine's, for one) refuses even
		// key logins to a locked account, so a user given keys gets '*': no password, not locked.
		parts.push(`{ [ "$(getent shadow ${name} | cut -d: -f2)" != '!' ] || usermod -p '*' ${name}; }`);
		// The home directory is whatever useradd chose (or an existing user's): ask the system, never guess.
		parts.push(
			`home=$(getent passwd ${name} | cut -d: -f6) && [ -n "$home" ]`,
			`install -d -m 700 -o ${name} -g "$(id -g ${name})" "$home/.ssh"`,
			`printf '%s' ${quote(keys)} > "$home/.ssh/authorized_keys"`,
			`chown ${name}:"$(id -g ${name})" "$home/.ssh/authorized_keys"`,
			`chmod 600 "$home/.ssh/authorized_keys"`
		);
	}
	return parts.join(' && ');
}

/** Make a file's parent directory before an SFTP upload. */
export function parentDirCommand(path: string): string {
	const parent = path.replace(/\/[^/]*$/, '') || '/';
	return command('mkdir', '-p', '--', parent);
}

/** Owner and mode after an upload (`owner` is `user` or `user:group`). */
export function fileAttributesCommand(path: string, mode: number | null, owner: string | null): string | null {
	const parts: string[] = [];
	if (owner) parts.push(command('chown', '--', owner, path));
	// chmod after chown: chown clears setuid/setgid bits a mode may carry.
	if (mode !== null) parts.push(command('chmod', '--', mode.toString(8).padStart(4, '0'), path));
	return parts.length > 0 ? parts.join(' && ') : null;
}

/** Remote path of an uploaded script for one run. */
export function scriptPath(runId: number, script: ResolvedScript): string {
	return `${REMOTE_DIR}/scripts/${runId}-${script.name}.sh`;
}

/**
 * Run an uploaded script as its user, in its workdir, with its environment. A script that starts with `#!`
 * chooses its own interpreter; otherwise bash (or sh where there is no bash) with -e, so the first failing
 * command fails the step, as a person reading a list of commands expects.
 */
export function runScriptCommand(path: string, script: ResolvedScript): string {
	const interpreter = script.run.startsWith('#!') ? quote(path) : `"$(command -v bash || echo sh)" -e ${quote(path)}`;
	const env = Object.entries(script.env).map(([k, v]) => quote(`${k}=${v}`));
	const workdir = script.workdir ?? (script.user ? null : '/root');
	const inner = [workdir ? `cd ${quote(workdir)}` : 'cd "$HOME" 2>/dev/null || cd /', `exec env ${env.length ? env.join(' ') + ' ' : ''}sh -c ${quote(`exec ${interpreter}`)}`].join(' && ');
	// The script file is made readable by the user before this runs.
	return asUser(inner, script.user);
}

/**
 * A shell command line run as `user` (root: as it is). su (not sudo, not runuser): present on Debian, RHEL
 * and Alpine alike. The one way Spyre runs a config's command as the config's user.
 */
export function asUser(inner: string, user: string | null | undefined): string {
	if (!user || user === 'root') return inner;
	return `su -s /bin/sh -c ${quote(inner)} -- ${quote(user)}`;
}

/** The scripts directory: root-owned and traversable, so a script user can run only the file it is given. */
export function scriptsDirCommand(): string {
	const dir = `${REMOTE_DIR}/scripts`;
	return `${command('mkdir', '-p', dir)} && ${command('chmod', '0711', REMOTE_DIR, dir)}`;
}

/** Let a non-root script user read its uploaded script; root's stay 0700. */
export function scriptOwnershipCommand(path: string, script: ResolvedScript): string {
	if (!script.user || script.user === 'root') return command('chmod', '0700', path);
	return `${command('chown', '--', script.user, path)} && ${command('chmod', '0500', path)}`;
}
