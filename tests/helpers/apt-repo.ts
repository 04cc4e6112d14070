// A tiny local apt repository for tests, so no test needs the network: `spyre-hello` (installs
// /usr/bin/spyre-hello, which prints one line) and `spyre-slow` (its postinst sleeps, to hold dpkg's lock),
// built with `dpkg-deb --build` and indexed with `dpkg-scanpackages` (Debian: dpkg-dev). `ctRepoScript`
// gives the shell that puts the repository into a CT (as files in the CT's own filesystem) and `aptGet`
// the apt-get command line that uses only that source.
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const HELLO_OUTPUT = 'hello from spyre-hello';
/** Where `ctRepoScript` puts the repository inside a CT. */
export const CT_REPO_DIR = '/srv/spyre-test-repo';
const CT_LIST = '/etc/apt/sources.list.d/spyre-test.list';

export interface AptRepo {
	/** Host directory with the .deb files and `Packages`. */
	dir: string;
	/** Remove the host directory. */
	remove(): void;
}

interface PackageSpec {
	name: string;
	files: Record<string, { content: string; mode: number }>;
	postinst?: string;
}

async function buildDeb(work: string, out: string, spec: PackageSpec): Promise<void> {
	const root = join(work, spec.name);
	mkdirSync(join(root, 'DEBIAN'), { recursive: true });
	writeFileSync(
		join(root, 'DEBIAN/control'),
		[`Package: ${spec.name}`, 'Version: 1.0', 'Architecture: all', 'Maintainer: Spyre tests <tests@spyre.invalid>', `Description: ${spec.name} test package`, ''].join('\n')
	);
	if (spec.postinst) {
		writeFileSync(join(root, 'DEBIAN/postinst'), spec.postinst);
		chmodSync(join(root, 'DEBIAN/postinst'), 0o755);
	}
	for (const [path, f] of Object.entries(spec.files)) {
		mkdirSync(join(root, path, '..'), { recursive: true });
		writeFileSync(join(root, path), f.content);
		chmodSync(join(root, path), f.mode);
	}
	await run('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', root, join(out, `${spec.name}_1.0_all.deb`)]);
}

/**
 * Build the repository in a fresh temp dir. `slowSeconds`: how long spyre-slow's postinst sleeps.
 * `standIns`: empty packages under those names (a doc file each), for configs that list Debian packages
 * the tests cannot download, such as dev-web's `sudo` and `nginx`. `debs`: real .deb files to serve too
 * (e.g. templates.ts TEMPLATE_DEBS, kept by the template build).
 */
export async function buildAptRepo(slowSeconds = 4, opts: { standIns?: string[]; debs?: string[] } = {}): Promise<AptRepo> {
	const base = mkdtempSync(join(tmpdir(), 'spyre-apt-'));
	const work = join(base, 'build');
	const dir = join(base, 'repo');
	mkdirSync(dir, { recursive: true });
	await buildDeb(work, dir, { name: 'spyre-hello', files: { 'usr/bin/spyre-hello': { content: `#!/bin/sh\necho '${HELLO_OUTPUT}'\n`, mode: 0o755 } } });
	await buildDeb(work, dir, {
		name: 'spyre-slow',
		files: { 'usr/share/doc/spyre-slow/README': { content: 'holds the dpkg lock while its postinst runs\n', mode: 0o644 } },
		postinst: `#!/bin/sh\nsleep ${slowSeconds}\n`
	});
	for (const name of opts.standIns ?? []) {
		const doc = `stand-in for the Debian package ${name}: tests serve no real packages\n`;
		await buildDeb(work, dir, { name, files: { [`usr/share/doc/${name}/README.spyre-test`]: { content: doc, mode: 0o644 } } });
	}
	for (const deb of opts.debs ?? []) copyFileSync(deb, join(dir, basename(deb)));
	const { stdout } = await run('dpkg-scanpackages', ['--multiversion', '.', '/dev/null'], { cwd: dir });
	writeFileSync(join(dir, 'Packages'), stdout);
	rmSync(work, { recursive: true, force: true });
	return { dir, remove: () => rmSync(base, { recursive: true, force: true }) };
}

/** Shell (one command line) that writes the repository's files into a CT and its apt source list. */
export function ctRepoScript(repo: AptRepo): string {
	const parts = [`mkdir -p ${CT_REPO_DIR}`];
	for (const name of readdirSync(repo.dir)) {
		const b64 = readFileSync(join(repo.dir, name)).toString('base64');
		parts.push(`echo ${b64} | base64 -d > ${CT_REPO_DIR}/${name}`);
	}
	parts.push(`echo 'deb [trusted=yes] file:${CT_REPO_DIR} ./' > ${CT_LIST}`);
	return parts.join(' && ');
}

/**
 * Shell that makes the test repository a CT's only apt source: every other source list in the CT is
 * overwritten with a comment (the host's lists show through a simulator CT's root, and their mirrors are
 * off the loopback), then `ctRepoScript`.
 */
export function ctOnlyRepoScript(repo: AptRepo): string {
	const others = `for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do if [ -f "$f" ]; then echo '# no network in tests' > "$f"; fi; done`;
	return `${others} && ${ctRepoScript(repo)}`;
}

/** apt-get with only the test source (no network), non-interactive, waiting up to `lockWait` s for the lock. */
export function aptGet(args: string, lockWait = 60): string {
	return [
		'DEBIAN_FRONTEND=noninteractive apt-get -q -y',
		`-o Dir::Etc::sourcelist=${CT_LIST}`,
		'-o Dir::Etc::sourceparts=-',
		'-o APT::Get::List-Cleanup=0',
		`-o DPkg::Lock::Timeout=${lockWait}`,
		args
	].join(' ');
}
