// What the simulator may do on this machine: as root it uses plain mount/UTS/PID namespaces and port 22;
// otherwise it needs unprivileged user namespaces and a high SSH port, and says exactly what is missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Privileges {
	root: boolean;
	/** Wrap every namespace in `--user --map-root-user`. */
	userns: boolean;
	defaultSshPort: number;
}

const TOOLS = ['/usr/sbin/sshd', '/usr/bin/ssh-keygen', '/usr/bin/unshare', '/usr/bin/nsenter', '/usr/bin/openssl'];

/** Returns the privileges, or an exact, multi-line explanation of what is missing. */
export function detectPrivileges(): Privileges | { error: string } {
	const missing = TOOLS.filter((t) => !existsSync(t));
	if (missing.length > 0) return { error: `pve-sim: missing programs: ${missing.join(', ')} (Debian: apt-get install openssh-server openssh-client util-linux openssl)` };
	if (process.getuid?.() === 0) {
		// As root every CT gets a network namespace on a bridge, filtered with nftables (network.ts).
		const net = ['/usr/sbin/ip', '/usr/sbin/nft'].filter((t) => !existsSync(t));
		if (net.length > 0) return { error: `pve-sim: missing programs: ${net.join(', ')} (Debian: apt-get install iproute2 nftables)` };
		return { root: true, userns: false, defaultSshPort: 22 };
	}
	const probe = spawnSync('unshare', ['--user', '--map-root-user', '--mount', '--uts', '--pid', '--fork', '/bin/true'], { encoding: 'utf8' });
	if (probe.status !== 0) {
		return {
			error: [
				'pve-sim: not running as root, and unprivileged user namespaces are not available.',
				`  needed: \`unshare --user --map-root-user --mount --uts --pid --fork\` (it failed: ${(probe.stderr || probe.error?.message || '').trim()})`,
				'  fix one of:',
				'    - run the simulator as root (CT sshd on port 22), or',
				'    - allow unprivileged user namespaces: sysctl -w kernel.unprivileged_userns_clone=1 (Debian) and,',
				'      on Ubuntu 24.04+, sysctl -w kernel.apparmor_restrict_unprivileged_userns=0;',
				'      then start with a high SSH port, e.g. --ssh-port 2222'
			].join('\n')
		};
	}
	return { root: false, userns: true, defaultSshPort: 2222 };
}
