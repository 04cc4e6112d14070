// What a gateway client may ask for, as pure rules: which environment variables pass (an allow-list: a
// variable such as LD_PRELOAD or BASH_ENV set by the client must never reach the environment's sshd),
// which direct-tcpip (-L) targets are allowed (the environment itself only: its sshd dials the target from
// inside the CT, so "localhost" there is the CT; any other host would turn the gateway into a way into the
// network the CTs sit on), and how a command runs as the environment's login user.

import { quote } from '../shell';

const ENV_NAMES = new Set(['LANG', 'LANGUAGE', 'TERM', 'COLORTERM', 'TZ']);
const MAX_ENV_VALUE = 256;

/** Whether a client's `env` request passes: LANG, LC_*, TERM and a few more, short and printable. */
export function allowedEnv(name: string, value: string): boolean {
	if (!(ENV_NAMES.has(name) || /^LC_[A-Z]{1,20}$/.test(name))) return false;
	return value.length <= MAX_ENV_VALUE && !/[\u0000-\u001f\u007f]/.test(value);
}

/** The target of a -L forward, as the environment's sshd should dial it, or null if it is refused. */
export function forwardTarget(host: string, port: number, ctAddress: string): { host: string; port: number } | null {
	if (!Number.isInteger(port) || port < 1 || port > 65535) return null;
	const h = host.toLowerCase();
	if (h === 'localhost' || h === '127.0.0.1' || h === '::1' || h === ctAddress) return { host: h === '::1' ? '::1' : h === 'localhost' ? '127.0.0.1' : h, port };
	return null;
}

/**
 * The gateway's connection to the environment is Spyre's (root); a login user other than root gets the
 * command through `su -l` (a login shell in its home, with its own environment). `command` null is an
 * interactive login shell. The command itself is the client's own, passed verbatim: it is the user's shell.
 */
export function asLoginUser(user: string, command: string | null): string | null {
	if (user === 'root') return command;
	// su (not sudo, not runuser): present on Debian, RHEL and Alpine alike, as the provisioner uses it.
	return command === null ? `exec su -l -- ${quote(user)}` : `exec su -l -c ${quote(command)} -- ${quote(user)}`;
}

/** sftp for a login user other than root: the distribution's sftp-server binary, run as that user. */
export function sftpServerAs(user: string): string {
	const find =
		'for p in /usr/lib/openssh/sftp-server /usr/libexec/openssh/sftp-server /usr/lib/ssh/sftp-server /usr/libexec/sftp-server; do [ -x "$p" ] && exec "$p"; done; echo "spyre gateway: no sftp-server in this environment" >&2; exit 127';
	return `exec su -l -s /bin/sh -c ${quote(find)} -- ${quote(user)}`;
}
