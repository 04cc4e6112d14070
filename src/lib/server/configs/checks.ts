// Rules that span several keys or need the merged result (a base may supply one half): one helper-script
// source and a pin for remote ones, a template from somewhere, a gateway that fits the address, no two
// files/users/scripts/services/repos with the same identity, no repo cloned inside another.

import type { EnvironmentConfig } from '$lib/shared/types/configs';
import { inNetwork, parseCidr } from '$lib/shared/validation/ipv4';
import { parseGitUrl } from '$lib/shared/validation/git';

export interface Finding {
	path: (string | number)[];
	message: string;
	severity: 'error' | 'warning';
}

function duplicates<T>(items: readonly T[], key: (item: T) => string | number, path: (string | number)[], what: string): Finding[] {
	const seen = new Map<string | number, number>();
	const out: Finding[] = [];
	items.forEach((item, i) => {
		const k = key(item);
		const first = seen.get(k);
		if (first === undefined) seen.set(k, i);
		else out.push({ path: [...path, i], message: `${what} ${k} is already declared at item ${first + 1}`, severity: 'error' });
	});
	return out;
}

export function crossChecks(cfg: EnvironmentConfig, fileName: string | null, metadataName: string | undefined): Finding[] {
	const out: Finding[] = [];
	const { platform, helper_script: hs, provision, services, repos } = cfg.spec;

	if (!platform.template) {
		out.push({
			path: ['spec', 'platform', 'template'],
			message: 'is required: set it here, in a base, or as proxmox.defaults.template in environment.yaml',
			severity: 'error'
		});
	}

	const net = platform.network;
	if (net.gw && (net.ip === null || net.ip === 'dhcp')) {
		out.push({ path: ['spec', 'platform', 'network', 'gw'], message: 'only applies with a static ip (a CIDR such as 10.0.0.50/24)', severity: 'error' });
	}
	if (net.ip && net.ip !== 'dhcp') {
		const network = parseCidr(net.ip);
		if (!net.gw) {
			out.push({ path: ['spec', 'platform', 'network', 'ip'], message: 'a static ip without gw: the container will have no default route', severity: 'warning' });
		} else if (network && network.prefix > 0 && !inNetwork(net.gw, network)) {
			out.push({ path: ['spec', 'platform', 'network', 'gw'], message: `must be in the same /${network.prefix} network as ip ${net.ip}`, severity: 'error' });
		}
	}

	if (hs) {
		if (hs.url && hs.file) out.push({ path: ['spec', 'helper_script'], message: 'set either url or file, not both', severity: 'error' });
		if (!hs.url && !hs.file) out.push({ path: ['spec', 'helper_script'], message: 'needs a url or a file', severity: 'error' });
		if (hs.url && !hs.sha256) {
			out.push({
				path: ['spec', 'helper_script', 'url'],
				message: 'unpinned remote scripts are refused: add sha256 (the SHA-256 of the script, e.g. from sha256sum)',
				severity: 'error'
			});
		}
	}

	provision.files.forEach((f, i) => {
		if (f.content !== null && f.source !== null) out.push({ path: ['spec', 'provision', 'files', i], message: 'set either content or source, not both', severity: 'error' });
		if (f.content === null && f.source === null) out.push({ path: ['spec', 'provision', 'files', i], message: 'needs content or source', severity: 'error' });
	});
	out.push(...duplicates(provision.files, (f) => f.path, ['spec', 'provision', 'files'], 'path'));
	out.push(...duplicates(provision.users, (u) => u.name, ['spec', 'provision', 'users'], 'user'));
	out.push(...duplicates(provision.scripts, (s) => s.name, ['spec', 'provision', 'scripts'], 'script'));
	out.push(...duplicates(services, (s) => s.name, ['spec', 'services'], 'service'));
	out.push(...duplicates(services, (s) => s.port, ['spec', 'services'], 'port'));

	out.push(...duplicates(repos, (r) => r.path, ['spec', 'repos'], 'path'));
	out.push(...repoChecks(repos));

	if (fileName && metadataName && metadataName !== fileName) {
		out.push({ path: ['metadata', 'name'], message: `differs from the config's name '${fileName}'; the config's name is used`, severity: 'warning' });
	}
	return out;
}

/** A clone inside another repo's work tree would be its untracked files; a token over http is readable on the wire. */
function repoChecks(repos: EnvironmentConfig['spec']['repos']): Finding[] {
	const out: Finding[] = [];
	repos.forEach((repo, i) => {
		const outer = repos.findIndex((other, j) => j !== i && repo.path.startsWith(`${other.path}/`));
		if (outer >= 0) out.push({ path: ['spec', 'repos', i, 'path'], message: `is inside the clone of item ${outer + 1} (${repos[outer].path}); clone repos side by side`, severity: 'error' });
		if (repo.credential && parseGitUrl(repo.url)?.kind === 'http') {
			out.push({ path: ['spec', 'repos', i, 'url'], message: 'is plain http: the credential crosses the network unencrypted (fine on a trusted LAN; https is safer)', severity: 'warning' });
		}
	});
	return out;
}
