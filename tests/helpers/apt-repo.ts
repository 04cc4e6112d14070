// A tiny local apt repository for tests, so no test needs the network: `spyre-hello` (installs
// /usr/bin/spyre-hello, which prints one line) and `spyre-slow` (its postinst sleeps, to hold dpkg's lock),
// built with `dpkg-deb --build` and indexed with `dpkg-scanpackages` (Debian: dpkg-dev). `ctRepoScript`
// gives the shell that puts the repository into a CT (as files in the CT's own filesystem) and `aptGet`
// the apt-get command line that uses only that source.
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, createReadStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
	files: Record<string, { content: string | Buffer; mode: number }>;
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
	// Large payloads (a real binary) go uncompressed: gzip would cost seconds for nothing on a local repo.
	const big = Object.values(spec.files).some((f) => f.content.length > 1024 * 1024);
	await run('dpkg-deb', ['--root-owner-group', big ? '-Znone' : '-Zgzip', '--build', root, join(out, `${spec.name}_1.0_all.deb`)]);
}

/**
 * Build the repository in a fresh temp dir. `slowSeconds`: how long spyre-slow's postinst sleeps.
 * `standIns`: empty packages under those names (a doc file each), for configs that list Debian packages
 * the tests cannot download, such as dev-web's `sudo` and `nginx`. `debs`: real .deb files to serve too
 * (e.g. templates.ts TEMPLATE_DEBS, kept by the template build).
 */
export async function buildAptRepo(slowSeconds = 4, opts: { standIns?: string[]; debs?: string[]; binaries?: Record<string, { path: string; from: string }> } = {}): Promise<AptRepo> {
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
	// `binaries`: a package carrying one of the host's executables (e.g. `nodejs` with the host's node, so a
	// config's script can really run it) — the tests cannot download Debian's.
	for (const [name, b] of Object.entries(opts.binaries ?? {})) await buildDeb(work, dir, { name, files: { [b.path.replace(/^\//, '')]: { content: readFileSync(b.from), mode: 0o755 } } });
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

/** The made-up host a test repository is served under through `startRepoProxy` (no resolver knows it). */
export const REPO_HOST = 'spyre-test-repo.invalid';

/** Shell that makes `http://REPO_HOST/` (through a CT's apt proxy) the CT's only apt source. */
export function ctProxiedRepoScript(): string {
	const others = `for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do if [ -f "$f" ]; then echo '# no network in tests' > "$f"; fi; done`;
	return `${others} && echo 'deb [trusted=yes] http://${REPO_HOST}/ ./' > ${CT_LIST}`;
}

export interface RepoProxy {
	server: Server;
	/** `http://host:port` */
	url: string;
	port: number;
	/** Every request it saw: method and request target (a proxy gets absolute URLs). */
	hits: string[];
	stop(): Promise<void>;
}

/**
 * A forward "proxy" on `host` (the simulator's gateway: the only host address a CT reaches) that serves
 * `repo`'s files for REPO_HOST only, records every request, and fetches nothing (404 for anything else).
 */
export function startRepoProxy(repo: AptRepo, host: string): Promise<RepoProxy> {
	const hits: string[] = [];
	const server = createServer((req, res) => {
		hits.push(`${req.method} ${req.url}`);
		let target: URL | null = null;
		try {
			target = new URL(req.url ?? '');
		} catch {
			/* not a proxy request */
		}
		// apt escapes `+` and `:` of package versions in the path (%2b, %3a).
		let name = '';
		try {
			name = target?.hostname === REPO_HOST ? decodeURIComponent(basename(target.pathname)) : '';
		} catch {
			/* a broken escape: not a file of the repository */
		}
		const file = name && readdirSync(repo.dir).includes(name) ? join(repo.dir, name) : null;
		if (!file || req.method !== 'GET') {
			res.writeHead(404, { 'content-type': 'text/plain' });
			res.end('not here\n');
			return;
		}
		res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(file).size });
		createReadStream(file).pipe(res);
	});
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, host, () => {
			const port = (server.address() as AddressInfo).port;
			resolve({ server, url: `http://${host}:${port}`, port, hits, stop: () => new Promise((r) => server.close(() => r())) });
		});
	});
}
