// The simulated storages and their content: `local` (dir: vztmpl, iso, backup), whose CT templates are the
// real archives in the templates dir (scripts/build-templates.sh builds them), and `local-lvm` (lvmthin:
// rootdir, images) holding the CTs' root disks. A template is usable once its tree is extracted beside it:
// that tree is the read-only lower layer of every CT made from it (rootfs.ts).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface StorageDef {
	storage: string;
	type: string;
	content: string[];
	total: number;
	shared: 0 | 1;
}

const GiB = 1024 ** 3;

export const STORAGES: StorageDef[] = [
	{ storage: 'local', type: 'dir', content: ['vztmpl', 'iso', 'backup'], total: 94 * GiB, shared: 0 },
	{ storage: 'local-lvm', type: 'lvmthin', content: ['rootdir', 'images'], total: 832 * GiB, shared: 0 }
];

/** Where the templates live unless `--templates DIR` says otherwise (outside any checkout: built once per machine). */
export const DEFAULT_TEMPLATES_DIR = process.env.SPYRE_SIM_TEMPLATES || '/var/cache/spyre-sim/templates';

export interface Template {
	volid: string;
	/** File name in `cache/`, e.g. `debian-12-standard_12.15-1_amd64.tar.zst`. */
	file: string;
	format: string;
	size: number;
	/** Unix seconds (the archive's ctime, as PVE reports for a dir storage). */
	ctime: number;
}

/** Archive suffixes PVE accepts for CT templates, with the `format` its content listing reports. */
const FORMATS: [RegExp, string][] = [
	[/\.tar\.zst$/, 'tzst'],
	[/\.tar\.xz$/, 'txz'],
	[/\.tar\.gz$/, 'tgz']
];

export const storageByName = (name: string): StorageDef | undefined => STORAGES.find((s) => s.storage === name);

/** The templates that exist in `dir/cache` (as `local:vztmpl/FILE`), with their real sizes. */
export function listTemplates(dir: string): Template[] {
	const cache = join(dir, 'cache');
	let files: string[];
	try {
		files = readdirSync(cache);
	} catch {
		return [];
	}
	const out: Template[] = [];
	for (const file of files.sort()) {
		const format = FORMATS.find(([re]) => re.test(file))?.[1];
		if (!format || file.startsWith('.')) continue;
		const st = statSync(join(cache, file), { throwIfNoEntry: false });
		if (!st?.isFile()) continue;
		out.push({ volid: `local:vztmpl/${file}`, file, format, size: st.size, ctime: Math.floor(st.ctimeMs / 1000) });
	}
	return out;
}

export const templateByVolid = (dir: string, volid: string): Template | undefined => listTemplates(dir).find((t) => t.volid === volid);

/** `local:vztmpl/x.tar.zst` -> `/var/lib/vz/template/cache/x.tar.zst`, as the create log prints it. */
export function templatePath(volid: string): string {
	return `/var/lib/vz/template/cache/${volid.replace(/^[^:]+:vztmpl\//, '')}`;
}

const treeName = (file: string): string => file.replace(/\.tar\.(zst|xz|gz)$/, '');

/** The extracted tree of a template (its CTs' lower layer); may not exist yet (see `ensureTree`). */
export function templateTree(dir: string, volid: string): string {
	return join(dir, 'rootfs', treeName(volid.replace(/^[^:]+:vztmpl\//, '')));
}

/**
 * The template's extracted tree and its uncompressed size, extracting the archive once when a template was
 * put in `cache/` by hand (build-templates.sh extracts its own). Extracted beside its final name, then renamed.
 */
export async function ensureTree(dir: string, t: Template): Promise<{ tree: string; bytes: number }> {
	const tree = templateTree(dir, t.volid);
	const bytesFile = `${tree}.bytes`;
	if (!existsSync(tree)) {
		const tmp = `${tree}.extract-${process.pid}`;
		rmSync(tmp, { recursive: true, force: true });
		mkdirSync(tmp, { recursive: true });
		try {
			const archive = join(dir, 'cache', t.file);
			await run('tar', ['-C', tmp, '--numeric-owner', '--xattrs', '-xpf', archive], { maxBuffer: 16 * 1024 * 1024 });
			const { stdout } = await run('sh', ['-c', `${decompressor(t.format)} < "$1" | wc -c`, 'sh', archive]);
			writeFileSync(bytesFile, stdout.trim());
			renameSync(tmp, tree);
		} catch (err) {
			rmSync(tmp, { recursive: true, force: true });
			throw err;
		}
	}
	const bytes = Number(readFileSync(bytesFile, { encoding: 'utf8', flag: 'r' }).trim()) || 0;
	return { tree, bytes };
}

const decompressor = (format: string): string => (format === 'tzst' ? 'zstd -dc' : format === 'txz' ? 'xz -dc' : 'gzip -dc');

/** PVE's ostype from the tree's os-release `ID` (what pve-container's setup detects), else `unmanaged`. */
export function ostypeOf(tree: string): string {
	try {
		const id = /^ID="?([a-z0-9._-]+)"?$/m.exec(readFileSync(join(tree, 'etc/os-release'), 'utf8'))?.[1];
		return id && ['debian', 'ubuntu', 'alpine', 'centos', 'fedora', 'archlinux', 'opensuse', 'gentoo', 'devuan', 'nixos'].includes(id) ? id : 'unmanaged';
	} catch {
		return 'unmanaged';
	}
}
