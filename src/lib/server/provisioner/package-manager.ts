// Which package manager a container uses, chosen from its /etc/os-release, and the commands that install
// packages with it. Every package name is quoted; waiting for another apt/dnf/apk run to let go of its lock
// is the package manager's own job (apt's DPkg::Lock::Timeout, dnf's lock wait, apk --wait), so a CT that
// is still running its first-boot unattended-upgrades makes the step wait instead of fail. A configured
// proxy (provision.apt_proxy) is written for apt as Spyre's own apt.conf.d file (removed again when none
// is configured) and given to dnf and apk on their command line. A failed apt run is summed up for the owner
// from its output (the files it could not fetch and why).

import { aptProxyProblem } from '../configs/rules';
import { command, quote } from '../shell';
import { SpyreError } from '../errors';

export type PackageManager = 'apt' | 'dnf' | 'apk';

/** Parse os-release text (KEY=value lines, values optionally quoted). */
export function parseOsRelease(text: string): Record<string, string> {
	const out: Record<string, string> = {};
	for (const raw of text.split('\n')) {
		const m = /^([A-Z0-9_]+)=(.*)$/.exec(raw.trim());
		if (!m) continue;
		let value = m[2];
		const q = value[0];
		if ((q === '"' || q === "'") && value.endsWith(q) && value.length >= 2) value = value.slice(1, -1);
		out[m[1]] = value.replace(/\\(["'$`\\])/g, '$1');
	}
	return out;
}

const FAMILIES: Array<[PackageManager, string[]]> = [
	['apt', ['debian', 'ubuntu', 'devuan', 'linuxmint', 'pop', 'kali', 'raspbian']],
	['dnf', ['fedora', 'rhel', 'centos', 'rocky', 'almalinux', 'ol', 'amzn']],
	['apk', ['alpine', 'postmarketos']]
];

export function detectPackageManager(osRelease: string): PackageManager {
	const os = parseOsRelease(osRelease);
	const ids = [os.ID, ...(os.ID_LIKE ?? '').split(/\s+/)].filter(Boolean).map((s) => s.toLowerCase());
	for (const [pm, names] of FAMILIES) if (ids.some((id) => names.includes(id))) return pm;
	throw new SpyreError('bad_request', `Spyre does not know how to install packages on ${os.PRETTY_NAME ?? os.ID ?? 'this system'} (it knows apt, dnf and apk).`);
}

/** Seconds a package step waits for another package-manager run to release its lock. */
export const LOCK_WAIT_S = 300;

/** Spyre's apt setting in a CT: only the proxy, in a file of its own that later runs rewrite or remove. */
export const APT_PROXY_FILE = '/etc/apt/apt.conf.d/90spyre-proxy';

/** Shell that makes apt use `proxy` for http (or no proxy of Spyre's when null). */
export function aptProxyCommand(proxy: string | null): string {
	if (proxy === null) return `rm -f ${quote(APT_PROXY_FILE)}`;
	const line = `Acquire::http::Proxy "${checkedProxy(proxy)}";`;
	return `printf '%s\\n' ${quote('// Written by Spyre (provision.apt_proxy); rewritten at every packages step.')} ${quote(line)} > ${quote(APT_PROXY_FILE)}`;
}

function checkedProxy(proxy: string): string {
	// The config validator refuses anything else; checked again so this module is safe on its own.
	const problem = aptProxyProblem(proxy);
	if (problem) throw new SpyreError('validation', `Invalid package proxy: ${problem}.`);
	return proxy;
}

/** One shell command that refreshes the package lists and installs `packages` (through `proxy` when set). */
export function installCommand(pm: PackageManager, packages: string[], proxy: string | null = null): string {
	if (packages.length === 0) throw new SpyreError('bad_request', 'No packages to install.');
	for (const p of packages) {
		// The config validator already refuses these; a second, local check keeps this module safe on its own.
		if (!/^[A-Za-z0-9][A-Za-z0-9.+_:~=-]*$/.test(p)) throw new SpyreError('validation', `Invalid package name: ${JSON.stringify(p)}`);
	}
	switch (pm) {
		case 'apt': {
			const lock = `-o DPkg::Lock::Timeout=${LOCK_WAIT_S}`;
			return [
				aptProxyCommand(proxy),
				'export DEBIAN_FRONTEND=noninteractive',
				`apt-get ${lock} update -q`,
				`apt-get ${lock} install -y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold ${packages.map(quote).join(' ')}`
			].join(' && ');
		}
		case 'dnf':
			return command('dnf', 'install', '-y', '--setopt=install_weak_deps=False', ...(proxy ? [`--setopt=proxy=${checkedProxy(proxy)}`] : []), ...packages);
		case 'apk':
			return proxy
				? command('env', `http_proxy=${checkedProxy(proxy)}`, 'apk', 'add', '--no-cache', `--wait=${LOCK_WAIT_S}`, ...packages)
				: command('apk', 'add', '--no-cache', `--wait=${LOCK_WAIT_S}`, ...packages);
	}
}

/** At most this many failed fetches are named in a failure message (apt lists one per file). */
const FETCH_FAILURES_SHOWN = 3;

/**
 * What apt's output says went wrong, for the failure message the owner reads: the files it could not
 * fetch with the server's answer (a proxy that refused a file says why in its status line, which is all
 * apt prints of it), else its last error line. Null when the output has neither. The output is the CT's,
 * so each part is cut short.
 */
export function aptFailureSummary(lines: string[]): string | null {
	const fetches: string[] = [];
	for (const line of lines) {
		const m = /^[EW]: Failed to fetch (\S+)\s+(.*?)\s*(?:\[IP: [^\]]*\])?\s*$/.exec(line);
		if (!m) continue;
		const what = `${m[1].slice(0, 300)} (${m[2].replace(/\s+/g, ' ').slice(0, 300)})`;
		if (!fetches.includes(what)) fetches.push(what);
	}
	if (fetches.length > 0) {
		const more = fetches.length > FETCH_FAILURES_SHOWN ? ` and ${fetches.length - FETCH_FAILURES_SHOWN} more` : '';
		return `apt could not fetch ${fetches.slice(0, FETCH_FAILURES_SHOWN).join('; ')}${more}`;
	}
	const last = lines.filter((l) => l.startsWith('E: ')).at(-1);
	return last ? `apt: ${last.slice(3, 400)}` : null;
}

/** The failure summary of `pm`'s output, where Spyre knows how to read it (apt's). */
export function packageFailureSummary(pm: PackageManager): ((lines: string[]) => string | null) | undefined {
	return pm === 'apt' ? aptFailureSummary : undefined;
}
